using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Writing;

internal sealed partial class TorchPickler
{
    private void SaveTensor(PtTensor t, string path, int depth)
    {
        if (t.SubclassType is { } type)
        {
            // torch._tensor._rebuild_from_type_v2(func, type, args, state): a tensor subclass or one with Python attributes.
            _e.Global("torch._tensor", "_rebuild_from_type_v2");
            _e.Op(PickleOpcode.Mark);
            WriteTensorCall(t, path, depth, asArguments: true, beforeArguments: () => _e.Global(type.Module, type.Name));
            Save(t.PythonState ?? new PyDict(), path, depth + 1);
            _e.Op(PickleOpcode.Tuple);
            _e.Op(PickleOpcode.Reduce);
        }
        else if (t.IsParameter)
        {
            bool withState = t.PythonState is not null;
            _e.Global("torch._utils", withState ? "_rebuild_parameter_with_state" : "_rebuild_parameter");
            _e.Op(PickleOpcode.Mark);
            // As Parameter.__reduce_ex__: the data is the detached tensor; only the Parameter requires grad. (torch's
            // _rebuild_tensor_v3 cannot set_() a storage into a leaf that requires grad.)
            WriteTensorCall(t, path, depth, asArguments: false, detached: true);
            _e.Bool(t.RequiresGrad);
            EmptyOrderedDict();
            if (withState) Save(t.PythonState, path, depth + 1);
            _e.Op(PickleOpcode.Tuple);
            _e.Op(PickleOpcode.Reduce);
        }
        else WriteTensorCall(t, path, depth, asArguments: false);
        Remember(t);
    }

    private void EmptyOrderedDict()
    {
        _e.Global("collections", "OrderedDict");
        _e.Op(PickleOpcode.EmptyTuple);
        _e.Op(PickleOpcode.Reduce);
    }

    /// <summary>
    /// Writes the reconstructor call for the tensor itself. With <paramref name="asArguments"/> it writes
    /// <c>func, [beforeArguments], (args...)</c> instead of <c>func(args...)</c>, for <c>_rebuild_from_type_v2</c>.
    /// </summary>
    private void WriteTensorCall(PtTensor t, string path, int depth, bool asArguments, Action? beforeArguments = null, bool detached = false)
    {
        bool requiresGrad = t.RequiresGrad && !detached;
        string func;
        Action args;
        if (t.IsSparse)
        {
            // torch 1.10–1.13 rebuilt CSR with _rebuild_sparse_csr_tensor and cannot read it from _rebuild_sparse_tensor.
            func = t.Rebuild.EndsWith("_rebuild_sparse_csr_tensor", StringComparison.Ordinal) ? "_rebuild_sparse_csr_tensor" : "_rebuild_sparse_tensor";
            args = () =>
            {
                Save(new TorchLayout("torch." + t.Layout), path, depth + 1);
                _e.Op(PickleOpcode.Mark);
                for (int i = 0; i < t.SparseComponents.Count; i++) Save(t.SparseComponents[i], Child(path, "sparse" + i), depth + 1);
                Save(new PyTuple(t.Shape.Select(s => (object?)s).ToArray(), "torch.Size"), path, depth + 1);
                if (t.Layout == "sparse_coo" && t.IsCoalesced is bool coalesced) _e.Bool(coalesced);
                _e.Op(PickleOpcode.Tuple);
            };
        }
        else if (t.IsMeta || t.Storage is null)
        {
            func = "_rebuild_meta_tensor_no_storage";
            args = () =>
            {
                _e.Global("torch", t.DType.Name());
                IntTuple(t.Shape);
                IntTuple(t.Stride);
                _e.Bool(requiresGrad);
            };
        }
        else
        {
            var storage = Storages.Add(t.Storage, t.DType, path);
            ValidateExtent(t, path);
            string? legacyClass = t.DType.LegacyStorageClass();
            if (t.Quantization is { } q)
            {
                func = "_rebuild_qtensor";
                args = () =>
                {
                    PersistentId(storage, legacyClass);
                    _e.Int(t.StorageOffset);
                    IntTuple(t.Shape);
                    IntTuple(t.Stride);
                    Quantizer(q, path, depth);
                    _e.Bool(requiresGrad);
                    EmptyOrderedDict();
                };
            }
            else
            {
                bool v3 = legacyClass is null;
                func = v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2";
                args = () =>
                {
                    PersistentId(storage, legacyClass);
                    _e.Int(t.StorageOffset);
                    IntTuple(t.Shape);
                    IntTuple(t.Stride);
                    _e.Bool(requiresGrad);
                    EmptyOrderedDict();
                    if (v3) _e.Global("torch", t.DType.Name());
                    if (t.IsConj || t.IsNeg)
                    {
                        _e.Op(PickleOpcode.EmptyDict);
                        if (t.IsConj) { _e.String("conj"); _e.Bool(true); _e.Op(PickleOpcode.SetItem); }
                        if (t.IsNeg) { _e.String("neg"); _e.Bool(true); _e.Op(PickleOpcode.SetItem); }
                    }
                };
            }
        }
        _e.Global("torch._utils", func);
        beforeArguments?.Invoke();
        _e.Op(PickleOpcode.Mark);
        args();
        _e.Op(PickleOpcode.Tuple);
        if (!asArguments) _e.Op(PickleOpcode.Reduce);
    }

    private void IntTuple(IReadOnlyList<long> values)
    {
        if (values.Count is >= 1 and <= 3)
        {
            foreach (var v in values) _e.Int(v);
            _e.Op(values.Count switch { 1 => PickleOpcode.Tuple1, 2 => PickleOpcode.Tuple2, _ => PickleOpcode.Tuple3 });
            return;
        }
        if (values.Count == 0) { _e.Op(PickleOpcode.EmptyTuple); return; }
        _e.Op(PickleOpcode.Mark);
        foreach (var v in values) _e.Int(v);
        _e.Op(PickleOpcode.Tuple);
    }

    /// <summary><c>('storage', torch.&lt;Class&gt;Storage, key, location, numel)</c>; numel counts elements of typed storages, bytes of UntypedStorage.</summary>
    private void PersistentId(StorageTable.Entry storage, string? legacyClass)
    {
        _e.Op(PickleOpcode.Mark);
        _e.String("storage");
        if (legacyClass is null) _e.Global("torch.storage", "UntypedStorage"); // as torch.save writes it
        else _e.Global("torch", legacyClass);
        _e.String(storage.Key);
        _e.String(storage.Storage.Location == "meta" ? "cpu" : storage.Storage.Location);
        long bytes = storage.Storage.ByteLength;
        _e.Int(legacyClass is null ? bytes : bytes / storage.DType.ElementSize());
        _e.Op(PickleOpcode.Tuple);
        _e.Op(PickleOpcode.BinPersId);
    }

    private void Quantizer(QuantizationParameters q, string path, int depth)
    {
        if (!q.IsPerChannel)
        {
            _e.Global("torch", q.Scheme);
            _e.Float(q.Scale);
            _e.Int(q.ZeroPoint);
            _e.Op(PickleOpcode.Tuple3);
            return;
        }
        _e.Op(PickleOpcode.Mark);
        _e.Global("torch", q.Scheme);
        Save(q.Scales, Child(path, "scales"), depth + 1);
        Save(q.ZeroPoints, Child(path, "zero_points"), depth + 1);
        _e.Int(q.Axis);
        _e.Op(PickleOpcode.Tuple);
    }

    private static void ValidateExtent(PtTensor t, string path)
    {
        if (t.ElementCount == 0) return;
        long last = t.StorageOffset;
        for (int d = 0; d < t.Rank; d++) last += (t.Shape[d] - 1) * t.Stride[d];
        long needed = t.DType switch
        {
            DType.QUInt4x2 => (last + 2) / 2,
            DType.QUInt2x4 => (last + 4) / 4,
            _ => (last + 1) * t.DType.ElementSize(),
        };
        if (needed > t.Storage!.ByteLength)
            throw new PtWriteException($"{t} reaches byte {needed} of a {t.Storage.ByteLength}-byte storage", path);
    }
}
