using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>
/// Views TorchSharp tensors as PtSharp tensors over libtorch memory for the writer. Non-contiguous or non-CPU
/// tensors are made contiguous on the CPU first; those copies live until the exporter is disposed.
/// </summary>
internal sealed unsafe class TensorExporter : IDisposable
{
    private readonly Dictionary<Tensor, PtTensor> _done = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> _temporaries = [];

    public PtTensor Export(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (_done.TryGetValue(t, out var known)) return known;
        var dtype = DTypeMap.ToDType(t.dtype);
        var dense = t;
        if (t.device_type != DeviceType.CPU || !t.is_contiguous() || t.is_conj() || t.is_neg())
        {
            dense = t.detach().cpu().resolve_conj().resolve_neg().contiguous();
            _temporaries.Add(dense);
        }
        long bytes = dense.NumberOfElements * dense.element_size();
        var source = new NativeBytes(NativeCopy.Address(dense), bytes);
        var storage = new PtStorage("", dtype, bytes, "cpu", null, source, 0, false) { SwapUnit = dtype.SwapUnit() };
        var shape = dense.shape;
        var exported = PtTensor.FromStorage(storage, dtype, shape, PtTensor.ContiguousStrides(shape), 0);
        return _done[t] = exported;
    }

    public void Dispose()
    {
        foreach (var t in _temporaries) t.Dispose();
        _temporaries.Clear();
    }
}
