using System.Buffers.Binary;
using System.Text;

namespace PtSharp.Containers;

/// <summary>Whether numpy unpickles an array's data: <c>dtype.hasobject</c>.</summary>
internal enum NpyObjects
{
    /// <summary>numpy reads raw array data: nothing is unpickled.</summary>
    No,
    /// <summary>numpy (with allow_pickle=True) runs <c>pickle.load</c> on the data.</summary>
    Yes,
    /// <summary>A descriptor we cannot vouch for: the data may be a pickle.</summary>
    Unknown,
}

/// <summary>
/// A .npy header read the way numpy's <c>format._read_array_header</c> reads it (numpy 1.24 and 2.x): versions
/// 1.0, 2.0 and 3.0 only, the header text (latin-1, or UTF-8 for 3.0) evaluated as a Python literal, exactly the
/// keys descr/fortran_order/shape, then whether the descriptor holds Python objects.
/// </summary>
/// <param name="DataStart">Offset of the array data (the pickle of an object array) from the magic.</param>
/// <param name="Objects">Whether the data is unpickled.</param>
/// <param name="Refused">Why numpy refuses the header (then nothing is unpickled), or null.</param>
/// <param name="Descr">The descriptor as parsed, for messages.</param>
internal sealed record NpyHeader(long DataStart, NpyObjects Objects, string? Refused, object? Descr)
{
    /// <summary>Reads the header at the start of <paramref name="bytes"/>; null when it is truncated.</summary>
    public static NpyHeader? Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 10) return null;
        int major = bytes[6], minor = bytes[7];
        if (minor != 0 || major is < 1 or > 3)
            return new NpyHeader(0, NpyObjects.No, $"format version {major}.{minor} is not one numpy reads", null);
        int lenSize = major == 1 ? 2 : 4;
        if (bytes.Length < 8 + lenSize) return null;
        long headerLength = lenSize == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        long dataStart = 8 + lenSize + headerLength;
        if (dataStart > bytes.Length) return null;
        var raw = bytes.Slice(8 + lenSize, (int)headerLength);
        string text;
        if (major == 3)
        {
            if (!System.Text.Unicode.Utf8.IsValid(raw)) return new NpyHeader(dataStart, NpyObjects.No,
                "the header is not UTF-8", null);
            text = Encoding.UTF8.GetString(raw);
        }
        else text = Encoding.Latin1.GetString(raw);
        if (!PyLiteral.TryParse(text, python2Longs: major <= 2, out var value))
            return new NpyHeader(dataStart, NpyObjects.Unknown, null, null);
        if (value is not List<KeyValuePair<object?, object?>> dict)
            return new NpyHeader(dataStart, NpyObjects.No, "the header is not a dictionary", null);
        var keys = dict.Select(kv => kv.Key as string).ToList();
        if (keys.Count != 3 || !keys.Contains("descr") || !keys.Contains("shape") || !keys.Contains("fortran_order"))
            return new NpyHeader(dataStart, NpyObjects.No,
                "the header does not have exactly the keys descr, fortran_order and shape", null);
        object? Get(string k) => dict.First(kv => kv.Key as string == k).Value;
        if (Get("shape") is not PyLiteralTuple shape || shape.Items.Any(x => x is not (long or bool)))
            return new NpyHeader(dataStart, NpyObjects.No, "shape is not a tuple of ints", null);
        if (Get("fortran_order") is not bool)
            return new NpyHeader(dataStart, NpyObjects.No, "fortran_order is not a bool", null);
        var descr = Get("descr");
        return new NpyHeader(dataStart, Classify(descr, 0), null, descr);
    }

    /// <summary>numpy's descr_to_dtype, reduced to "does it hold objects". Invalid descriptors are refused by
    /// numpy.</summary>
    internal static NpyObjects Classify(object? descr, int depth)
    {
        if (depth > 64) return NpyObjects.Unknown;
        switch (descr)
        {
            case string s: return TypeString(s);
            case PyLiteralTuple t: return t.Items.Count == 0 ? NpyObjects.No : Classify(t.Items[0], depth + 1);
        }
        // Anything else is iterated as a list of fields: (name, type) or (name, type, shape). A string field of
        // length 2 or 3 unpacks into characters, so its second character is a type ('xO' is an object field).
        IEnumerable<object?>? fields = descr switch
        {
            List<object?> l => l,
            PyLiteralSet set => set.Items,
            List<KeyValuePair<object?, object?>> d => d.Select(kv => kv.Key),
            _ => null,
        };
        if (fields is null) return NpyObjects.No; // numpy raises: not iterable, nothing is unpickled
        var result = NpyObjects.No;
        foreach (var field in fields)
        {
            object? type = field switch
            {
                string { Length: 2 or 3 } s => s[1].ToString(),
                PyLiteralTuple { Items.Count: 2 or 3 } t => t.Items[1],
                List<object?> { Count: 2 or 3 } l => l[1],
                _ => Invalid,
            };
            if (ReferenceEquals(type, Invalid)) continue; // numpy raises on this field
            var r = Classify(type, depth + 1);
            if (r == NpyObjects.Yes) return r;
            if (r == NpyObjects.Unknown) result = r;
        }
        return result;
    }

    private static readonly object Invalid = new();

    /// <summary>
    /// A dtype string holds objects when it names the object type anywhere ('O', '|O', 'O8', 'object',
    /// 'i4,O', ...) or numpy 2's StringDType ('T'); characters we cannot vouch for make it unknown.
    /// </summary>
    private static NpyObjects TypeString(string s)
    {
        // numpy 2's StringDType ('T') keeps Python-managed strings and is pickled like objects.
        if (s.Contains('O') || s.Contains('T') || s.Contains("object", StringComparison.Ordinal)) return NpyObjects.Yes;
        foreach (char c in s) if (c > 0x7E || c < 0x20) return NpyObjects.Unknown;
        return NpyObjects.No;
    }
}
