using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Torch;

/// <summary>
/// What a persistent id resolves to: a storage, plus (for legacy storage views) an element offset into it, plus the
/// dtype the pid declared.
/// </summary>
internal sealed record StorageRef(PtStorage Storage, DType? DType, long ElementOffset);

/// <summary>Resolves the persistent ids of one container format to storages (or other values, such as legacy module classes).</summary>
internal interface IPersistentResolver
{
    object? Resolve(object? pid, string record, long offset);

    /// <summary>Resolves a persistent id that is a tuple, given as its items.</summary>
    object? ResolveItems(ReadOnlySpan<object?> pid, string record, long offset) => Resolve(new PyTuple(pid.ToArray()), record, offset);
}
