using PtSharp.Errors;
using PtSharp.Tensors;

namespace PtSharp.Writing;

/// <summary>The storages a save writes: one record per distinct <see cref="PtStorage"/>, keyed "0", "1", ... in first-seen order.</summary>
internal sealed class StorageTable
{
    private readonly Dictionary<PtStorage, Entry> _byStorage = new(ReferenceEqualityComparer.Instance);

    public List<Entry> Entries { get; } = [];

    public sealed record Entry(string Key, PtStorage Storage, DType DType);

    /// <summary>Registers the storage of a tensor; one storage can only be saved with one dtype, as in torch.save.</summary>
    public Entry Add(PtStorage storage, DType dtype, string path)
    {
        if (_byStorage.TryGetValue(storage, out var e))
        {
            if (e.DType != dtype)
                throw new PtWriteException($"storage '{storage.Key}' is viewed as both {e.DType.Name()} and {dtype.Name()}; torch.save cannot write one storage with two dtypes", path);
            return e;
        }
        if (!storage.HasData && storage.Producer is null && storage.ByteLength > 0)
            throw new PtWriteException($"storage '{storage.Key}' has no data to write (location '{storage.Location}')", path);
        e = new Entry(Entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), storage, dtype);
        _byStorage[storage] = e;
        Entries.Add(e);
        return e;
    }
}
