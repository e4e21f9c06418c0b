using System.Buffers.Binary;
using System.Numerics;
using System.Text.Json.Nodes;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Describes a .NET tree as JSON for tests/interop/verify_dotnet_built.py, computed from the input alone (never from
/// what PtSharp reads back): every value with its Python type, dicts with class, key order and <c>_metadata</c>, and
/// for tensors dtype, shape, stride, offset, flags, a storage-sharing group, the bytes of every logical element, and
/// their values decoded here independently of PtSharp (IEEE halves, bfloat16, the float8 formats, complex).
/// </summary>
internal sealed class ExpectedJson
{
    private readonly Dictionary<PtStorage, string> _groups = new(ReferenceEqualityComparer.Instance);

    /// <summary>Tensors larger than this are described by probes (a few elements) instead of all their bytes.</summary>
    public long FullBytesLimit { get; init; } = 1 << 20;

    public JsonNode Encode(object? v) => v switch
    {
        null => new JsonObject { ["t"] = "none" },
        bool b => new JsonObject { ["t"] = "bool", ["v"] = b },
        int or long or short or byte or sbyte or ushort or uint => new JsonObject { ["t"] = "int", ["v"] = Convert.ToInt64(v) },
        BigInteger big => new JsonObject { ["t"] = "int", ["v"] = JsonNode.Parse(big.ToString()) },
        double d => new JsonObject { ["t"] = "float", ["v"] = Float(d) },
        float f => new JsonObject { ["t"] = "float", ["v"] = Float(f) },
        string s => new JsonObject { ["t"] = "str", ["v"] = s },
        byte[] bytes => new JsonObject { ["t"] = "bytes", ["hex"] = Convert.ToHexStringLower(bytes) },
        PyDict d => Dict(d),
        PyList l => new JsonObject { ["t"] = "list", ["items"] = new JsonArray(l.Select(Encode).ToArray()) },
        PyTuple t => new JsonObject { ["t"] = "tuple", ["items"] = new JsonArray(t.Select(Encode).ToArray()) },
        PtTensor t => Tensor(t),
        _ => throw new ArgumentException($"cannot describe {v.GetType().Name}"),
    };

    /// <summary>Finite doubles as numbers, the rest as "nan", "inf", "-inf"; -0.0 as "-0".</summary>
    public static JsonNode Float(double d) =>
        double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf"
        : d == 0 && double.IsNegative(d) ? "-0" : JsonValue.Create(d);

    private JsonObject Dict(PyDict d)
    {
        var items = new JsonArray();
        foreach (var kv in d) items.Add(new JsonArray(Encode(kv.Key), Encode(kv.Value)));
        var o = new JsonObject { ["t"] = "dict", ["class"] = d.ClassName ?? "dict", ["items"] = items };
        if (d.Attributes is { Count: > 0 } attrs)
        {
            var a = new JsonObject();
            foreach (var kv in attrs) a[(string)kv.Key!] = Encode(kv.Value);
            o["attrs"] = a;
        }
        return o;
    }

    private JsonObject Tensor(PtTensor t)
    {
        var storage = t.Storage!;
        if (!_groups.TryGetValue(storage, out var group)) _groups[storage] = group = "s" + _groups.Count;
        var o = new JsonObject
        {
            ["t"] = "tensor",
            ["dtype"] = t.DType.Name(),
            ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
            ["stride"] = new JsonArray(t.Stride.Select(s => (JsonNode)s).ToArray()),
            ["offset"] = t.StorageOffset,
            ["requires_grad"] = t.RequiresGrad,
            ["is_parameter"] = t.IsParameter,
            ["group"] = group,
            ["storage_bytes"] = storage.ByteLength,
        };
        int size = t.DType.ElementSize();
        if (t.ElementCount * size <= FullBytesLimit)
        {
            var bytes = LogicalBytes(t);
            o["hex"] = Convert.ToHexStringLower(bytes);
            if (Values(t.DType, bytes) is { } values) o["values"] = values;
        }
        else
        {
            // probes: flat index -> element bytes, for tensors too big to list (contiguous, 1-d)
            var probes = new JsonArray();
            foreach (long i in new[] { 0L, 1, 2, 3, 4, t.ElementCount - 3, t.ElementCount - 2, t.ElementCount - 1 })
                probes.Add(new JsonArray(i, Convert.ToHexStringLower(t.View([1], [1], t.StorageOffset + i * t.Stride[0]).ToArray<byte>())));
            o["probes"] = probes;
        }
        return o;
    }

    /// <summary>The bytes of every logical element in row-major order, read through shape/stride/offset.</summary>
    public static unsafe byte[] LogicalBytes(PtTensor t)
    {
        int size = t.DType.ElementSize();
        var result = new byte[t.ElementCount * size];
        if (t.ElementCount == 0) return result;
        byte* src = t.Storage!.Pointer; // storages may exceed 2 GiB (a small view of a huge storage)
        var index = new long[t.Rank];
        for (long k = 0; k < t.ElementCount; k++)
        {
            long off = t.StorageOffset;
            for (int d = 0; d < t.Rank; d++) off += index[d] * t.Stride[d];
            new ReadOnlySpan<byte>(src + off * size, size).CopyTo(result.AsSpan((int)(k * size)));
            for (int d = t.Rank - 1; d >= 0 && ++index[d] == t.Shape[d]; d--) index[d] = 0;
        }
        return result;
    }

    /// <summary>Element values decoded from raw little-endian bytes, or null for dtypes this test does not decode.</summary>
    public static JsonArray? Values(DType dtype, byte[] b)
    {
        int size = dtype.ElementSize();
        int n = b.Length / size;
        var a = new JsonArray();
        for (int i = 0; i < n; i++)
        {
            var e = b.AsSpan(i * size, size);
            JsonNode node = dtype switch
            {
                DType.Float64 => Float(BinaryPrimitives.ReadDoubleLittleEndian(e)),
                DType.Float32 => Float(BinaryPrimitives.ReadSingleLittleEndian(e)),
                DType.Float16 => Float((double)BinaryPrimitives.ReadHalfLittleEndian(e)),
                DType.BFloat16 => Float(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16)),
                DType.Float8E4M3FN => Float(Float8(e[0], 4, 3, 7, fnuz: false, hasInf: false)),
                DType.Float8E5M2 => Float(Float8(e[0], 5, 2, 15, fnuz: false, hasInf: true)),
                DType.Float8E4M3FNUZ => Float(Float8(e[0], 4, 3, 8, fnuz: true, hasInf: false)),
                DType.Float8E5M2FNUZ => Float(Float8(e[0], 5, 2, 16, fnuz: true, hasInf: false)),
                DType.Complex32 => new JsonArray(Float((double)BinaryPrimitives.ReadHalfLittleEndian(e)), Float((double)BinaryPrimitives.ReadHalfLittleEndian(e[2..]))),
                DType.Complex64 => new JsonArray(Float(BinaryPrimitives.ReadSingleLittleEndian(e)), Float(BinaryPrimitives.ReadSingleLittleEndian(e[4..]))),
                DType.Complex128 => new JsonArray(Float(BinaryPrimitives.ReadDoubleLittleEndian(e)), Float(BinaryPrimitives.ReadDoubleLittleEndian(e[8..]))),
                DType.Int8 => (sbyte)e[0],
                DType.UInt8 => e[0],
                DType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                DType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                DType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                DType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                DType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                DType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(e),
                DType.Bool => e[0] != 0,
                _ => null!,
            };
            if (node is null) return null;
            a.Add(node);
        }
        return a;
    }

    /// <summary>Decodes an 8-bit float: sign, <paramref name="e"/> exponent bits, <paramref name="m"/> mantissa bits.</summary>
    public static double Float8(byte v, int e, int m, int bias, bool fnuz, bool hasInf)
    {
        int sign = v >> 7, exp = (v >> m) & ((1 << e) - 1), man = v & ((1 << m) - 1);
        if (fnuz && v == 0x80) return double.NaN; // fnuz: the only NaN, no negative zero
        int maxExp = (1 << e) - 1;
        if (hasInf && exp == maxExp) return man == 0 ? (sign == 1 ? double.NegativeInfinity : double.PositiveInfinity) : double.NaN;
        if (!fnuz && !hasInf && exp == maxExp && man == (1 << m) - 1) return double.NaN; // e4m3fn: S.1111.111
        double value = exp == 0 ? man / (double)(1 << m) * Math.Pow(2, 1 - bias) : (1 + man / (double)(1 << m)) * Math.Pow(2, exp - bias);
        return sign == 1 ? -value : value;
    }
}
