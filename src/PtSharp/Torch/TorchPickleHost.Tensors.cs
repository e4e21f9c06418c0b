using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Torch;

internal sealed partial class TorchPickleHost
{
    /// <summary>
    /// Maps torch._utils / torch._tensor reconstructors to tensors; argument layouts follow torch/_utils.py.
    /// <paramref name="original"/> is the argument tuple when the pickle built one (an opaque object keeps it), else null.
    /// </summary>
    private object? RebuildTensor(PyGlobal g, ReadOnlySpan<object?> a, PyTuple? original, long at)
    {
        switch (g.Name)
        {
            case "_rebuild_tensor" when a.Length >= 4:
                return Dense(a[0], null, a[1], a[2], a[3], false, null, g, at);
            case "_rebuild_tensor_v2" when a.Length >= 5:
                return Dense(a[0], null, a[1], a[2], a[3], a[4], a.Length >= 7 ? a[6] : null, g, at);
            case "_rebuild_tensor_v3" when a.Length >= 7:
                return Dense(a[0], DTypeOf(a[6], at), a[1], a[2], a[3], a[4], a.Length >= 8 ? a[7] : null, g, at);
            case "_rebuild_qtensor" when a.Length >= 6:
                {
                    var t = Dense(a[0], null, a[1], a[2], a[3], a[5], null, g, at);
                    t.Quantization = Quantizer(a[4], at);
                    return t;
                }
            case "_rebuild_parameter" when a.Length >= 2 && a[0] is PtTensor p:
                p.IsParameter = true;
                p.RequiresGrad = a[1] is true;
                return p;
            case "_rebuild_parameter_with_state" when a.Length >= 4 && a[0] is PtTensor ps:
                ps.IsParameter = true;
                ps.RequiresGrad = a[1] is true;
                ps.PythonState = a[3];
                return ps;
            case "_rebuild_meta_tensor_no_storage" when a.Length >= 4:
                {
                    var t = TensorLayout.Create(DTypeOf(a[0], at), TensorFactory.ReadIntTuple(a[1], "size", _record, at),
                        TensorFactory.ReadIntTuple(a[2], "stride", _record, at), 0, null, _record, at);
                    t.Device = "meta";
                    t.RequiresGrad = a[3] is true;
                    t.Rebuild = g.FullName;
                    return t;
                }
            case "_rebuild_device_tensor_from_cpu_tensor" when a.Length >= 4 && a[0] is PtTensor cpu:
                cpu.Device = a[2] as string ?? cpu.Device;
                cpu.RequiresGrad = a[3] is true;
                return cpu;
            case "_rebuild_sparse_tensor" when a.Length >= 2:
            case "_rebuild_sparse_csr_tensor" when a.Length >= 2: // torch 1.10–1.13 name for CSR
                return Sparse(a[0], a[1], g, at);
            case "_rebuild_from_type_v2" when a.Length >= 4 && a[2] is PyTuple inner:
                {
                    var value = Reduce(a[0], inner, at);
                    if (value is PtTensor t && a[1] is PyGlobal type)
                    {
                        if (type.FullName == "torch.nn.parameter.Parameter") t.IsParameter = true;
                        else if (type.FullName != "torch.Tensor") t.SubclassType = type;
                        if (a[3] is PyDict { Count: > 0 } or PyTuple) t.PythonState = a[3];
                    }
                    return value;
                }
        }
        return new PyObject(g, original ?? new PyTuple(a.ToArray()), PyConstruction.Reduce);
    }

    private PtTensor Dense(object? storageArg, DType? dtype, object? offsetArg, object? sizeArg, object? strideArg, object? requiresGrad, object? metadata, PyGlobal rebuild, long at)
    {
        PtStorage storage;
        DType? declared;
        long elementOffset;
        switch (storageArg)
        {
            case PtStorage plain: (storage, declared, elementOffset) = (plain, plain.DType, 0); break;
            case StorageRef r: (storage, declared, elementOffset) = (r.Storage, r.DType, r.ElementOffset); break;
            default:
                return ThrowHelper.Format<PtTensor>(PtErrorKind.InvalidTensor, $"{rebuild.Name} expects a storage from a persistent id, got {PickleMachine.Describe(storageArg)}", _record, at);
        }
        var effective = dtype ?? declared ?? DType.UInt8;
        if (dtype is not null && declared is not null && declared != dtype && storage.DType is not null)
            ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{storage.Key}' holds {declared.Value.Name()} but the tensor claims {dtype.Value.Name()}", _record, at);
        if (storage.DType is null)
        {
            if (storage.ViewDType is { } first && first != effective)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{storage.Key}' is viewed as both {first.Name()} and {effective.Name()}", _record, at);
            storage.ViewDType = effective;
        }
        long offset = TensorFactory.ReadLong(offsetArg, "storage offset", _record, at);
        var t = TensorLayout.Create(effective, TensorFactory.ReadIntTuple(sizeArg, "size", _record, at),
            TensorFactory.ReadIntTuple(strideArg, "stride", _record, at), checked(offset + elementOffset), storage, _record, at);
        t.RequiresGrad = requiresGrad is true;
        t.Rebuild = rebuild.FullName;
        t.Device = storage.Location;
        if (metadata is PyDict m)
        {
            t.IsConj = m.TryGetValue("conj", out var c) && c is true;
            t.IsNeg = m.TryGetValue("neg", out var n) && n is true;
        }
        return t;
    }

    private DType DTypeOf(object? value, long at)
    {
        if (value is PyGlobal { Module: "torch" } g && DTypes.TryParse(g.Name, out var d)) return d;
        return ThrowHelper.Format<DType>(PtErrorKind.InvalidTensor, $"expected a torch dtype, got {PickleMachine.Describe(value)}", _record, at);
    }

    private QuantizationParameters Quantizer(object? value, long at)
    {
        if (value is PyTuple { Count: >= 1 } q && q[0] is PyGlobal scheme)
        {
            if (q.Count >= 3 && scheme.Name is "per_tensor_affine" or "per_tensor_symmetric")
                return new QuantizationParameters(scheme.Name, q[1] is double s ? s : q[1] is long ls ? ls : double.NaN,
                    TensorFactory.ReadLong(q[2], "zero point", _record, at));
            if (q.Count >= 4 && scheme.Name.StartsWith("per_channel", StringComparison.Ordinal) && q[1] is not null && q[2] is not null)
                return new QuantizationParameters(scheme.Name, q[1]!, q[2]!, TensorFactory.ReadLong(q[3], "axis", _record, at));
        }
        return ThrowHelper.Format<QuantizationParameters>(PtErrorKind.InvalidTensor, "quantizer parameters are not (qscheme, scale, zero_point) or (qscheme, scales, zero_points, axis)", _record, at);
    }

    private PtTensor Sparse(object? layoutArg, object? dataArg, PyGlobal rebuild, long at)
    {
        string layout = layoutArg switch
        {
            TorchLayout l => l.Name.StartsWith("torch.", StringComparison.Ordinal) ? l.Name["torch.".Length..] : l.Name,
            PyGlobal g => g.Name,
            _ => "",
        };
        if (dataArg is not PyTuple data || layout is "" or "strided")
            return ThrowHelper.Format<PtTensor>(PtErrorKind.InvalidTensor, "sparse tensor arguments are not (layout, data tuple)", _record, at);
        int tensorCount = layout == "sparse_coo" ? 2 : 3;
        if (data.Count < tensorCount + 1)
            return ThrowHelper.Format<PtTensor>(PtErrorKind.InvalidTensor, $"{layout} tensor data has {data.Count} items", _record, at);
        var parts = new PtTensor[tensorCount];
        for (int i = 0; i < tensorCount; i++)
            parts[i] = data[i] as PtTensor ?? ThrowHelper.Format<PtTensor>(PtErrorKind.InvalidTensor, $"{layout} component {i} is not a tensor", _record, at);
        var shape = TensorFactory.ReadIntTuple(data[tensorCount], "sparse size", _record, at);
        var values = parts[^1];
        long numel = 1;
        try { foreach (var s in shape) { if (s < 0) throw new OverflowException(); numel = checked(numel * s); } }
        catch (OverflowException) { ThrowHelper.Format(PtErrorKind.InvalidTensor, "sparse size is negative or overflows", _record, at); }
        var t = new PtTensor(values.DType, shape, new long[shape.Length], 0, null)
        {
            ElementCount = numel,
            Layout = layout,
            SparseComponents = parts,
            Rebuild = rebuild.FullName,
            Device = values.Device,
            IsCoalesced = layout == "sparse_coo" && data.Count >= 4 ? data[3] as bool? : null,
        };
        return t;
    }
}
