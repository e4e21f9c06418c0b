using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Torch;

namespace PtSharp.Dcp;

/// <summary>
/// Reads a DCP <c>.metadata</c> pickle with the safe pickle machine (torch's dataclasses arrive as opaque objects,
/// nothing is imported or run) and maps those objects to <see cref="DcpMetadata"/>. Any class outside torch's
/// DCP metadata vocabulary, or a field of the wrong shape, is a <see cref="PtFormatException"/>.
/// </summary>
internal static class DcpMetadataReader
{
    public const string FileName = ".metadata";
    private const string MetadataModule = "torch.distributed.checkpoint.metadata";

    public static DcpMetadata Read(string path, PtLoadOptions options)
    {
        using var map = new MappedFile(path);
        var window = new ByteWindow(map, 0, map.Length);
        if (map.Length == 0) ThrowHelper.Format(PtErrorKind.Truncated, "the DCP metadata file is empty", FileName, 0);
        var host = new TorchPickleHost(NoPersistentIds.Instance, options.ToReadPolicy(), FileName);
        var root = new PickleMachine(window, FileName, host, options.PickleLimits).Run();
        return Map(root);
    }

    private static DcpMetadata Map(object? root)
    {
        var md = Expect(root, MetadataModule, "Metadata", "the metadata root");
        var attrs = Attrs(md, "Metadata");
        if (Field(attrs, "state_dict_metadata", "Metadata") is not PyDict items)
            return Fail<DcpMetadata>("Metadata.state_dict_metadata is not a dict");
        var storage = ReadStorageData(attrs.TryGetValue("storage_data", out var sd) ? sd : null);
        var paths = ReadPlannerData(attrs.TryGetValue("planner_data", out var pd) ? pd : null);
        var list = new List<DcpItem>(items.Count);
        foreach (var (k, v) in items)
        {
            if (k is not string name) return Fail<DcpMetadata>($"a state_dict_metadata key is {PickleMachine.Describe(k)}, not a string");
            list.Add(ReadItem(name, v, storage));
        }
        string? version = attrs.TryGetValue("version", out var ver) ? ver as string : null;
        return new DcpMetadata(list, paths, version);
    }

    private static DcpItem ReadItem(string name, object? value, Dictionary<(string, string), DcpStorageInfo> storage)
    {
        var o = value as PyObject;
        if (o is not null && o.Module == MetadataModule && o.Name == "BytesStorageMetadata")
            return new DcpBytesItem(name, Lookup(storage, name, null));
        Expect(value, MetadataModule, "TensorStorageMetadata", $"the metadata of '{name}'");
        var a = Attrs(o!, "TensorStorageMetadata");
        var props = Expect(Field(a, "properties", name), null, "TensorProperties", $"the properties of '{name}'");
        var (dtype, requiresGrad) = ReadProperties(props, name);
        long[] shape = Ints(Field(a, "size", name), $"the size of '{name}'");
        if (Field(a, "chunks", name) is not PyList chunks) return Fail<DcpItem>($"the chunks of '{name}' are not a list");
        var list = new List<DcpChunk>(chunks.Count);
        foreach (var c in chunks)
        {
            var co = Expect(c, MetadataModule, "ChunkStorageMetadata", $"a chunk of '{name}'");
            var ca = Attrs(co, "ChunkStorageMetadata");
            long[] offsets = Ints(Field(ca, "offsets", name), $"a chunk offset of '{name}'");
            long[] sizes = Ints(Field(ca, "sizes", name), $"a chunk size of '{name}'");
            list.Add(new DcpChunk(offsets, sizes, Lookup(storage, name, offsets)));
        }
        return new DcpTensorItem(name, dtype, shape, list, requiresGrad);
    }

    private static (DType, bool) ReadProperties(PyObject props, string name)
    {
        // TensorProperties pickles its __getstate__ tuple: (dtype, layout, requires_grad, memory format, pin_memory).
        object? dtypeValue; object? grad; object? layout;
        if (props.State is PyTuple { Count: >= 3 } t) { dtypeValue = t[0]; layout = t[1]; grad = t[2]; }
        else if (props.Attributes is { } d)
        {
            d.TryGetValue("dtype", out dtypeValue);
            d.TryGetValue("layout", out layout);
            d.TryGetValue("requires_grad", out grad);
        }
        else return Fail<(DType, bool)>($"the properties of '{name}' have no state");
        if (dtypeValue is not PyGlobal { Module: "torch" } g || !DTypes.TryParse(g.Name, out var dtype))
            return Fail<(DType, bool)>($"'{name}' has dtype {PickleMachine.Describe(dtypeValue)}, which is not a torch dtype");
        if (layout is TorchLayout l && l.Name != "torch.strided")
            ThrowHelper.Format(PtErrorKind.Unsupported, $"'{name}' has layout {l.Name}; only strided tensors are stored in DCP files", FileName, null);
        return (dtype, grad is true);
    }

    private static Dictionary<(string, string), DcpStorageInfo> ReadStorageData(object? value)
    {
        var result = new Dictionary<(string, string), DcpStorageInfo>();
        if (value is not PyDict d) return value is null ? result : Fail<Dictionary<(string, string), DcpStorageInfo>>("Metadata.storage_data is not a dict");
        foreach (var (k, v) in d)
        {
            var index = Attrs(Expect(k, MetadataModule, "MetadataIndex", "a storage_data key"), "MetadataIndex");
            if (Field(index, "fqn", "MetadataIndex") is not string fqn) return Fail<Dictionary<(string, string), DcpStorageInfo>>("a MetadataIndex has no string fqn");
            index.TryGetValue("offset", out var off);
            long[]? offsets = off is null ? null : Ints(off, $"the storage offset of '{fqn}'");
            var info = Attrs(Expect(v, "torch.distributed.checkpoint.filesystem", "_StorageInfo", $"the storage of '{fqn}'"), "_StorageInfo");
            if (info.TryGetValue("transform_descriptors", out var td) && td is PyList { Count: > 0 } or PyTuple { Count: > 0 })
                RefuseTransforms(fqn, (IEnumerable<object?>)td);
            if (Field(info, "relative_path", fqn) is not string rel) return Fail<Dictionary<(string, string), DcpStorageInfo>>($"the storage of '{fqn}' has no relative_path");
            long start = TensorFactory.ReadLong(Field(info, "offset", fqn), "storage offset", FileName, 0);
            long length = TensorFactory.ReadLong(Field(info, "length", fqn), "storage length", FileName, 0);
            result[(fqn, Key(offsets))] = new DcpStorageInfo(rel, start, length);
        }
        return result;
    }

    /// <summary>
    /// Stream transforms (DCP's experimental extensions after torch 2.6, e.g. zstd compression) change the stored
    /// bytes; torch 2.6's <c>_StorageInfo</c> has no such field and writes none. PtSharp reads none either.
    /// </summary>
    private static void RefuseTransforms(string fqn, IEnumerable<object?> descriptors)
    {
        string names = string.Join(", ", descriptors.Select(d => d is string s ? "'" + s + "'" : PickleMachine.Describe(d)));
        ThrowHelper.Format(PtErrorKind.Unsupported,
            $"'{fqn}' is stored through the stream transform {names} (a DCP extension newer than torch 2.6, e.g. " +
            "compression), which PtSharp does not read", FileName, null);
    }

    private static Dictionary<string, IReadOnlyList<object>> ReadPlannerData(object? value)
    {
        var result = new Dictionary<string, IReadOnlyList<object>>(StringComparer.Ordinal);
        if (value is not PyDict d) return result;
        foreach (var (k, v) in d)
        {
            if (k is not string name || v is not (PyTuple or PyList)) continue;
            var parts = ((IEnumerable<object?>)v).ToList();
            if (parts.All(p => p is string or long)) result[name] = parts.Select(p => p!).ToList();
        }
        return result;
    }

    private static DcpStorageInfo Lookup(Dictionary<(string, string), DcpStorageInfo> storage, string name, long[]? offsets)
    {
        if (storage.TryGetValue((name, Key(offsets)), out var info)) return info;
        string where = offsets is null ? "" : $" at offsets ({string.Join(", ", offsets)})";
        return ThrowHelper.Format<DcpStorageInfo>(PtErrorKind.MissingRecord, $"'{name}'{where} has no entry in storage_data: no file holds it", FileName, null);
    }

    private static string Key(long[]? offsets) => offsets is null ? "" : string.Join(",", offsets);

    private static PyObject Expect(object? value, string? module, string name, string what)
    {
        if (value is PyObject o && o.Name == name && (module is null || o.Module == module)) return o;
        return Fail<PyObject>($"{what} is {PickleMachine.Describe(value)}, not {(module is null ? "" : module + ".")}{name}");
    }

    private static PyDict Attrs(PyObject o, string what) =>
        o.Attributes ?? Fail<PyDict>($"a {what} has no attribute dict (state {PickleMachine.Describe(o.State)})");

    private static object? Field(PyDict d, string field, string owner) =>
        d.TryGetValue(field, out var v) ? v : Fail<object?>($"'{owner}' metadata lacks the field '{field}'");

    private static long[] Ints(object? value, string what)
    {
        if (value is not PyTuple t) return Fail<long[]>($"{what} is {PickleMachine.Describe(value)}, not a torch.Size");
        var r = new long[t.Count];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = TensorFactory.ReadLong(t[i], what, FileName, 0);
            if (r[i] < 0) return Fail<long[]>($"{what} has a negative entry {r[i]}");
        }
        return r;
    }

    private static T Fail<T>(string message) => ThrowHelper.Format<T>(PtErrorKind.CorruptPickle, message, FileName, null);

    private sealed class NoPersistentIds : IPersistentResolver
    {
        public static readonly NoPersistentIds Instance = new();

        public object? Resolve(object? pid, string record, long offset) =>
            ThrowHelper.Format<object?>(PtErrorKind.CorruptPickle, "the DCP metadata pickle has a persistent id; it holds no tensors", record, offset);
    }
}
