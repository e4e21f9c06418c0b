using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>
/// Turns PtSharp tensors into TorchSharp tensors as <c>torch.load</c> would: each storage is copied once from the
/// mapped file into libtorch memory, every tensor is a view of its storage (offsets and strides kept), and
/// tensors that view the same storage with the same layout (tied weights) become one TorchSharp tensor.
/// </summary>
internal sealed unsafe class TensorImporter : IDisposable
{
    private readonly Dictionary<(PtStorage, ScalarType), Tensor> _storages = [];
    private readonly Dictionary<ViewKey, Tensor> _views = [];

    public Tensor Import(PtTensor t, string name)
    {
        Check(t, name);
        var type = DTypeMap.ToScalarType(t.DType, name);
        var key = new ViewKey(t.Storage!, type, t.StorageOffset, string.Join(",", t.Shape), string.Join(",", t.Stride), t.IsConj, t.IsNeg);
        if (_views.TryGetValue(key, out var shared)) return shared;
        var storage = StorageOf(t.Storage!, type, t.DType.ElementSize());
        var view = storage.as_strided([.. t.Shape], [.. t.Stride], t.StorageOffset);
        if (t.IsConj) view = Replace(view, view.conj().resolve_conj());
        if (t.IsNeg) view = Replace(view, view.neg());
        return _views[key] = view;
    }

    /// <summary>Refuses what TorchSharp cannot hold, naming the tensor.</summary>
    public static void Check(PtTensor t, string name)
    {
        if (t.IsSparse) Unsupported(name, $"is a {t.Layout} tensor; only dense tensors load into TorchSharp");
        if (t.Quantization is not null || t.DType.IsQuantized()) Unsupported(name, $"is quantized ({t.DType.Name()}); dequantize it in Python first");
        if (t.IsMeta) Unsupported(name, "is on the meta device and has no data");
        if (t.Storage is null || !t.Storage.HasData) Unsupported(name, $"has no data (device '{t.Device}')");
    }

    private Tensor StorageOf(PtStorage s, ScalarType type, int size)
    {
        if (_storages.TryGetValue((s, type), out var known)) return known;
        long elements = s.ByteLength / size;
        var storage = torch.empty([elements], type);
        NativeCopy.Into(storage, s.Pointer, elements * size);
        return _storages[(s, type)] = storage;
    }

    private static Tensor Replace(Tensor old, Tensor fresh)
    {
        old.Dispose();
        return fresh;
    }

    private static void Unsupported(string name, string what) =>
        throw new PtFormatException(PtErrorKind.Unsupported, $"tensor '{name}' {what}");

    /// <summary>Releases the storage tensors; the views keep their memory alive in libtorch.</summary>
    public void Dispose()
    {
        foreach (var s in _storages.Values) s.Dispose();
        _storages.Clear();
    }

    private readonly record struct ViewKey(PtStorage Storage, ScalarType Type, long Offset, string Shape, string Stride, bool Conj, bool Neg);
}
