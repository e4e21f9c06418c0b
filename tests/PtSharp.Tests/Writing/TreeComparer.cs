using System.Numerics;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Compares a tree given to <see cref="PtWriter"/> with the tree <see cref="PtFile"/> read back: same structure,
/// keys in order, classes, <c>_metadata</c>, numbers bit for bit, and for tensors dtype, shape, stride, offset,
/// flags, the storage's bytes and the bytes of every logical element. Object identity must map one to one: an object
/// reached twice in the input is one object in the output, and storages map bijectively (shared stays shared,
/// separate stays separate).
/// </summary>
internal sealed class TreeComparer
{
    private readonly Dictionary<object, object> _objects = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<object, object> _objectsBack = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PtStorage, PtStorage> _storages = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<PtStorage, PtStorage> _storagesBack = new(ReferenceEqualityComparer.Instance);

    public List<string> Problems { get; } = [];
    public int TensorCount { get; private set; }
    public IReadOnlyCollection<PtStorage> InputStorages => _storages.Keys;
    public IReadOnlyCollection<PtStorage> OutputStorages => _storagesBack.Keys;

    public void Compare(object? expected, object? actual, string path = "")
    {
        if (Problems.Count > 20) return;
        switch (expected)
        {
            case null: if (actual is not null) Fail(path, $"None became {Describe(actual)}"); return;
            case bool b: if (actual is not bool ab1 || ab1 != b) Fail(path, $"{b} became {Describe(actual)}"); return;
            case int or long or short or sbyte or byte or ushort or uint:
                {
                    long ei = Convert.ToInt64(expected);
                    if (actual is not long ai || ai != ei) Fail(path, $"{ei} became {Describe(actual)}");
                    return;
                }
            case ulong ul:
                if (ul <= long.MaxValue ? actual is not long ul1 || (ulong)ul1 != ul : actual is not BigInteger ubi || ubi != ul) Fail(path, $"{ul} became {Describe(actual)}");
                return;
            case BigInteger big:
                {
                    bool ok = big >= long.MinValue && big <= long.MaxValue ? actual is long bl && bl == big : actual is BigInteger ab0 && ab0 == big;
                    if (!ok) Fail(path, $"{big} became {Describe(actual)}");
                    return;
                }
            case double d:
                if (actual is not double ad || BitConverter.DoubleToInt64Bits(ad) != BitConverter.DoubleToInt64Bits(d)) Fail(path, $"{d:R} became {Describe(actual)}");
                return;
            case float f:
                if (actual is not double af || BitConverter.DoubleToInt64Bits(af) != BitConverter.DoubleToInt64Bits(f)) Fail(path, $"{f:R} became {Describe(actual)}");
                return;
            case string s: if (actual is not string a2 || a2 != s) Fail(path, $"'{s}' became {Describe(actual)}"); return;
        }
        // () is a singleton in Python (and in PtSharp's reader); its identity carries no information.
        if (expected is PyTuple { Count: 0 }) { if (actual is not PyTuple { Count: 0 }) Fail(path, $"() became {Describe(actual)}"); return; }
        if (!Identity(expected, actual, path)) return;
        switch (expected)
        {
            case byte[] bytes:
                if (actual is not byte[] ab || !ab.AsSpan().SequenceEqual(bytes)) Fail(path, $"bytes[{bytes.Length}] became {Describe(actual)}");
                return;
            case PyDict d:
                {
                    if (actual is not PyDict ad) { Fail(path, $"{d} became {Describe(actual)}"); return; }
                    if (ad.ClassName != d.ClassName) Fail(path, $"class {d.ClassName ?? "dict"} became {ad.ClassName ?? "dict"}");
                    var ek = d.ToList();
                    var ak = ad.ToList();
                    if (ek.Count != ak.Count) { Fail(path, $"{ek.Count} keys became {ak.Count}"); return; }
                    for (int i = 0; i < ek.Count; i++)
                    {
                        Compare(ek[i].Key, ak[i].Key, $"{path}.<key {i}>");
                        Compare(ek[i].Value, ak[i].Value, $"{path}.{ek[i].Key}");
                    }
                    if (d.Attributes is { Count: > 0 }) Compare(d.Attributes, ad.Attributes, path + ".<attributes>");
                    else if (ad.Attributes is { Count: > 0 }) Fail(path, "gained attributes");
                    return;
                }
            case PyList l:
                {
                    if (actual is not PyList al || al.Count != l.Count) { Fail(path, $"list[{l.Count}] became {Describe(actual)}"); return; }
                    for (int i = 0; i < l.Count; i++) Compare(l[i], al[i], $"{path}[{i}]");
                    return;
                }
            case PyTuple t:
                {
                    if (actual is not PyTuple at || at.Count != t.Count) { Fail(path, $"tuple[{t.Count}] became {Describe(actual)}"); return; }
                    if (at.ClassName != t.ClassName) Fail(path, $"tuple class {t.ClassName} became {at.ClassName}");
                    for (int i = 0; i < t.Count; i++) Compare(t[i], at[i], $"{path}({i})");
                    return;
                }
            case PtTensor e:
                if (actual is not PtTensor a3) { Fail(path, $"{e} became {Describe(actual)}"); return; }
                CompareTensor(e, a3, path);
                return;
            default:
                Fail(path, $"comparer does not know {expected.GetType().Name}");
                return;
        }
    }

    /// <summary>Objects reached twice must be one object in the output, and distinct inputs distinct outputs.</summary>
    private bool Identity(object expected, object? actual, string path)
    {
        if (actual is null) { Fail(path, $"{Describe(expected)} became None"); return false; }
        if (_objects.TryGetValue(expected, out var seen))
        {
            if (!ReferenceEquals(seen, actual)) Fail(path, "an object reached twice in the input is two objects in the output");
            return false; // already compared
        }
        if (_objectsBack.ContainsKey(actual)) { Fail(path, $"two input objects became one output object ({Describe(expected)})"); return false; }
        _objects[expected] = actual;
        _objectsBack[actual] = expected;
        return true;
    }

    private unsafe void CompareTensor(PtTensor e, PtTensor a, string path)
    {
        TensorCount++;
        if (a.DType != e.DType) Fail(path, $"dtype {e.DType.Name()} became {a.DType.Name()}");
        if (!a.Shape.SequenceEqual(e.Shape)) Fail(path, $"shape [{string.Join(",", e.Shape)}] became [{string.Join(",", a.Shape)}]");
        if (!a.Stride.SequenceEqual(e.Stride)) Fail(path, $"stride [{string.Join(",", e.Stride)}] became [{string.Join(",", a.Stride)}]");
        if (a.StorageOffset != e.StorageOffset) Fail(path, $"offset {e.StorageOffset} became {a.StorageOffset}");
        if (a.RequiresGrad != e.RequiresGrad) Fail(path, $"requires_grad {e.RequiresGrad} became {a.RequiresGrad}");
        if (a.IsParameter != e.IsParameter) Fail(path, $"is_parameter {e.IsParameter} became {a.IsParameter}");
        if (a.Layout != "strided" || a.IsConj || a.IsNeg || a.Quantization is not null) Fail(path, "gained layout/conj/neg/quantization");
        var es = e.Storage!;
        var aS = a.Storage;
        if (aS is null) { Fail(path, "lost its storage"); return; }
        if (_storages.TryGetValue(es, out var mapped))
        {
            if (!ReferenceEquals(mapped, aS)) Fail(path, "tensors sharing a storage in the input do not share it in the output");
        }
        else
        {
            if (_storagesBack.ContainsKey(aS)) Fail(path, "tensors with separate storages in the input share one in the output");
            _storages[es] = aS;
            _storagesBack[aS] = es;
            if (aS.ByteLength != es.ByteLength) Fail(path, $"storage of {es.ByteLength} bytes became {aS.ByteLength}");
            else if (es.ByteLength > 0 && !aS.Bytes.SequenceEqual(es.Bytes)) Fail(path, "storage bytes differ");
        }
        if (aS.ByteLength != es.ByteLength || a.DType != e.DType || !a.Shape.SequenceEqual(e.Shape)) return;
        // Every logical element, through each tensor's own shape/stride/offset.
        var eb = es.ByteLength == 0 ? default : es.Bytes;
        var ab = aS.ByteLength == 0 ? default : aS.Bytes;
        int size = e.DType.ElementSize();
        foreach (var (eo, ao) in Offsets(e, a))
        {
            if (!ab.Slice((int)(ao * size), size).SequenceEqual(eb.Slice((int)(eo * size), size)))
            {
                Fail(path, $"logical element bytes differ (element at storage offset {eo} vs {ao})");
                return;
            }
        }
    }

    /// <summary>Storage element offsets of every logical element of two same-shaped tensors, in row-major order.</summary>
    private static IEnumerable<(long, long)> Offsets(PtTensor e, PtTensor a)
    {
        if (e.ElementCount == 0) yield break;
        int rank = e.Rank;
        var index = new long[rank];
        while (true)
        {
            long eo = e.StorageOffset, ao = a.StorageOffset;
            for (int d = 0; d < rank; d++) { eo += index[d] * e.Stride[d]; ao += index[d] * a.Stride[d]; }
            yield return (eo, ao);
            int k = rank - 1;
            while (k >= 0 && ++index[k] == e.Shape[k]) { index[k] = 0; k--; }
            if (k < 0) yield break;
        }
    }

    private void Fail(string path, string message) => Problems.Add($"{(path.Length == 0 ? "<root>" : path)}: {message}");

    private static string Describe(object? o) => o switch
    {
        null => "None",
        string s => $"'{s}'",
        double d => d.ToString("R"),
        _ => $"{o} ({o.GetType().Name})",
    };
}
