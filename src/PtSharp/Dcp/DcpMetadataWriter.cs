using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Dcp;

/// <summary>
/// Pickles DCP metadata the way torch's classes reduce: each dataclass made with <c>NEWOBJ</c> and given its
/// <c>__dict__</c> (or, for <c>TensorProperties</c>, its <c>__getstate__</c> tuple) with <c>BUILD</c>.
/// </summary>
internal sealed class DcpMetadataWriter
{
    private const string MetadataModule = "torch.distributed.checkpoint.metadata";
    private readonly PickleEmitter _e = new();

    /// <summary>The <c>.metadata</c> pickle of flat items: each item's path is its own name.</summary>
    public static byte[] Write(IReadOnlyList<DcpItem> items) =>
        Write(items, new Dictionary<string, IReadOnlyList<object>>());

    /// <summary>
    /// The <c>.metadata</c> pickle: <paramref name="paths"/> gives each item's <c>planner_data</c> path.
    /// </summary>
    public static byte[] Write(IReadOnlyList<DcpItem> items, IReadOnlyDictionary<string, IReadOnlyList<object>> paths)
    {
        var w = new DcpMetadataWriter();
        w.Metadata(items, paths);
        return w._e.ToArray();
    }

    private void Metadata(IReadOnlyList<DcpItem> items, IReadOnlyDictionary<string, IReadOnlyList<object>> paths)
    {
        _e.Proto(2);
        BeginObject(MetadataModule, "Metadata");
        BeginDict();
        _e.String("state_dict_metadata");
        BeginDict();
        foreach (var item in items)
        {
            _e.String(item.Name);
            if (item is DcpTensorItem t) TensorMetadata(t);
            else
            {
                BeginObject(MetadataModule, "BytesStorageMetadata");
                _e.Op(PickleOpcode.EmptyDict);
                _e.Op(PickleOpcode.Build);
            }
        }
        EndDict();
        _e.String("planner_data");
        BeginDict();
        foreach (var item in items)
        {
            _e.String(item.Name);
            PlannerPath(paths.TryGetValue(item.Name, out var path) ? path : [item.Name]);
        }
        EndDict();
        _e.String("storage_data");
        BeginDict();
        foreach (var item in items)
        {
            if (item is DcpTensorItem t)
                foreach (var c in t.Chunks) { Index(item.Name, c.Offsets); StorageInfo(c.Storage); }
            else { Index(item.Name, null); StorageInfo(((DcpBytesItem)item).Storage); }
        }
        EndDict();
        _e.String("storage_meta");
        _e.None();
        EndDict();
        _e.Op(PickleOpcode.Build);
        _e.Stop();
    }

    /// <summary>The path tuple of <c>planner_data</c>: dict keys as strings, list indices as ints.</summary>
    private void PlannerPath(IReadOnlyList<object> path)
    {
        _e.Op(PickleOpcode.Mark);
        foreach (var p in path)
        {
            if (p is long index) _e.Int(index);
            else _e.String((string)p);
        }
        _e.Op(PickleOpcode.Tuple);
    }

    private void TensorMetadata(DcpTensorItem t)
    {
        BeginObject(MetadataModule, "TensorStorageMetadata");
        BeginDict();
        _e.String("properties");
        BeginObject(MetadataModule, "TensorProperties");
        _e.Op(PickleOpcode.Mark);
        _e.Global("torch", t.DType.Name());
        _e.Global("torch.serialization", "_get_layout");
        _e.String("torch.strided");
        _e.Op(PickleOpcode.Tuple1);
        _e.Op(PickleOpcode.Reduce);
        _e.Bool(t.RequiresGrad);
        _e.Global(MetadataModule, "_MEM_FORMAT_ENCODING");
        _e.Int(0); // TORCH_CONTIGUOUS_FORMAT
        _e.Op(PickleOpcode.Tuple1);
        _e.Op(PickleOpcode.Reduce);
        _e.Bool(false);
        _e.Op(PickleOpcode.Tuple);
        _e.Op(PickleOpcode.Build);
        _e.String("size");
        Size(t.Shape);
        _e.String("chunks");
        _e.Op(PickleOpcode.EmptyList);
        if (t.Chunks.Count > 0)
        {
            _e.Op(PickleOpcode.Mark);
            foreach (var c in t.Chunks)
            {
                BeginObject(MetadataModule, "ChunkStorageMetadata");
                BeginDict();
                _e.String("offsets");
                Size(c.Offsets);
                _e.String("sizes");
                Size(c.Sizes);
                EndDict();
                _e.Op(PickleOpcode.Build);
            }
            _e.Op(PickleOpcode.Appends);
        }
        EndDict();
        _e.Op(PickleOpcode.Build);
    }

    private void Index(string fqn, IReadOnlyList<long>? offsets)
    {
        BeginObject(MetadataModule, "MetadataIndex");
        BeginDict();
        _e.String("fqn");
        _e.String(fqn);
        _e.String("offset");
        if (offsets is null) _e.None(); else Size(offsets);
        _e.String("index");
        _e.None();
        EndDict();
        _e.Op(PickleOpcode.Build);
    }

    private void StorageInfo(DcpStorageInfo s)
    {
        BeginObject("torch.distributed.checkpoint.filesystem", "_StorageInfo");
        BeginDict();
        _e.String("relative_path");
        _e.String(s.RelativePath);
        _e.String("offset");
        _e.Int(s.Offset);
        _e.String("length");
        _e.Int(s.Length);
        EndDict();
        _e.Op(PickleOpcode.Build);
    }

    private void Size(IReadOnlyList<long> values)
    {
        _e.Global("torch", "Size");
        _e.Op(PickleOpcode.Mark);
        foreach (var v in values) _e.Int(v);
        _e.Op(PickleOpcode.Tuple);
        _e.Op(PickleOpcode.Tuple1);
        _e.Op(PickleOpcode.Reduce);
    }

    private void BeginObject(string module, string name)
    {
        _e.Global(module, name);
        _e.Op(PickleOpcode.EmptyTuple);
        _e.Op(PickleOpcode.NewObj);
    }

    private void BeginDict()
    {
        _e.Op(PickleOpcode.EmptyDict);
        _e.Op(PickleOpcode.Mark);
    }

    private void EndDict() => _e.Op(PickleOpcode.SetItems);
}
