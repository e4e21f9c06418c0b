using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>
/// The <c>.metadata</c> of a <c>torch.distributed.checkpoint</c> folder as typed records: every item by its
/// flattened name (<c>model.fc.weight</c>, <c>optim.state.0.exp_avg</c>), where its bytes are, and the path each
/// flattened name had in the saved nested state dict.
/// </summary>
public sealed class DcpMetadata
{
    internal DcpMetadata(IReadOnlyList<DcpItem> items, IReadOnlyDictionary<string, IReadOnlyList<object>> paths, string? version)
    {
        Items = items;
        Paths = paths;
        Version = version;
    }

    /// <summary>Every item in the order <c>state_dict_metadata</c> lists them.</summary>
    public IReadOnlyList<DcpItem> Items { get; }

    /// <summary>
    /// <c>planner_data</c> of torch's default planner: flattened name → the keys (strings) and list indices
    /// (<see cref="long"/>) leading to the value in the nested state dict that was saved.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<object>> Paths { get; }

    /// <summary>The metadata's <c>version</c> field when the writer recorded one, else <see langword="null"/>.</summary>
    public string? Version { get; }
}

/// <summary>Where one stored piece of an item is: a byte range of one <c>.distcp</c> file (torch's <c>_StorageInfo</c>).</summary>
/// <param name="RelativePath">The file, relative to the folder (e.g. <c>__0_0.distcp</c>).</param>
/// <param name="Offset">First byte of the piece in the file.</param>
/// <param name="Length">Bytes of the piece.</param>
public sealed record DcpStorageInfo(string RelativePath, long Offset, long Length);

/// <summary>An item of a DCP checkpoint: a tensor (<see cref="DcpTensorItem"/>) or a pickled object (<see cref="DcpBytesItem"/>).</summary>
/// <param name="Name">The flattened name DCP records.</param>
public abstract record DcpItem(string Name);

/// <summary>A tensor stored as chunks (torch's <c>TensorStorageMetadata</c>).</summary>
/// <param name="Name">The flattened name.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">The global shape.</param>
/// <param name="Chunks">The stored chunks; together they tile the tensor.</param>
/// <param name="RequiresGrad">The recorded <c>requires_grad</c>.</param>
public sealed record DcpTensorItem(string Name, DType DType, IReadOnlyList<long> Shape, IReadOnlyList<DcpChunk> Chunks, bool RequiresGrad)
    : DcpItem(Name)
{
    /// <summary>Number of elements of the global tensor.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Bytes of the global tensor.</summary>
    public long ByteCount => checked(ElementCount * DType.ElementSize());
}

/// <summary>One chunk of a tensor: the box <c>Offsets .. Offsets + Sizes</c> of the global tensor, and where it is stored.</summary>
/// <param name="Offsets">Start of the box in each dimension.</param>
/// <param name="Sizes">Extent of the box in each dimension.</param>
/// <param name="Storage">The byte range holding the chunk (a <c>torch.save</c> of the chunk tensor).</param>
public sealed record DcpChunk(IReadOnlyList<long> Offsets, IReadOnlyList<long> Sizes, DcpStorageInfo Storage)
{
    /// <summary>Number of elements of the chunk.</summary>
    public long ElementCount => Sizes.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>A non-tensor value (torch's <c>BytesStorageMetadata</c>): a <c>torch.save</c> of the object.</summary>
/// <param name="Name">The flattened name.</param>
/// <param name="Storage">The byte range holding the pickled object.</param>
public sealed record DcpBytesItem(string Name, DcpStorageInfo Storage) : DcpItem(Name);
