using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Zip;

namespace PtSharp.Torch;

/// <summary>
/// Resolves zip-format persistent ids <c>('storage', storage_type, key, location, numel)</c> to storages backed by
/// <c>&lt;prefix&gt;/&lt;dir&gt;&lt;key&gt;</c> records; one storage object per key.
/// </summary>
internal sealed class ZipStorageResolver : IPersistentResolver
{
    private readonly ZipArchiveReader _zip;
    private readonly Func<int, string> _nameOf;
    private readonly string _recordPrefix;
    private readonly bool _bigEndian;
    private readonly TorchReadPolicy _options;
    private Dictionary<string, PtStorage>? _recordless;
    private PtStorage?[]? _byRecord; // by zip member position: one storage per record
    // Storage classes are a handful of globals per file: classify each once, not once per tensor.
    private readonly Dictionary<object, (DType? DType, bool Untyped)> _storageTypes = new(ReferenceEqualityComparer.Instance);

    public ZipStorageResolver(ZipArchiveReader zip, string recordPrefix, bool bigEndian, TorchReadPolicy options, int expectedStorages = 0)
    {
        Storages = new(expectedStorages);
        _zip = zip;
        _nameOf = zip.NameAt;
        _recordPrefix = recordPrefix;
        _bigEndian = bigEndian;
        _options = options;
    }

    /// <summary>Every storage resolved, in first-seen order.</summary>
    public List<PtStorage> Storages { get; }

    public object? Resolve(object? pid, string record, long offset) =>
        pid is PyTuple t ? ResolveItems(t.Items, record, offset) : NotAStoragePid(PickleMachine.Describe(pid), record, offset);

    private static object NotAStoragePid(string what, string record, long offset) =>
        ThrowHelper.Format<object>(PtErrorKind.CorruptPickle, $"persistent id is {what}, not ('storage', type, key, location, numel)", record, offset);

    public object? ResolveItems(ReadOnlySpan<object?> t, string record, long offset)
    {
        if (t.Length < 5 || Text(t[0]) != "storage") return NotAStoragePid($"a tuple of {t.Length}", record, offset);
        if (t[1] is null || !_storageTypes.TryGetValue(t[1]!, out var type))
        {
            type = StorageType(t[1], record, offset);
            _storageTypes[t[1]!] = type;
        }
        var (dtype, untyped) = type;
        string key = t[2] switch
        {
            string s => s,
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            byte[] b => System.Text.Encoding.ASCII.GetString(b),
            _ => ThrowHelper.Format<string>(PtErrorKind.CorruptPickle, "storage key is not a string", record, offset),
        };
        string location = Text(t[3]) ?? "cpu";
        long numel = TensorFactory.ReadLong(t[4], "storage size", record, offset);
        if (numel < 0) ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{key}' has negative size {numel}", record, offset);

        // One storage per key: a key with a record is found by its record's position (no second table to hash into
        // for every tensor); keys without a record are rare and use a dictionary.
        int member = _zip.IndexOf(_recordPrefix, key);
        bool hasRecord = member >= 0;
        var existing = hasRecord ? _byRecord?[member] : _recordless?.GetValueOrDefault(key);
        if (existing is not null)
        {
            if (existing.DType is not null && dtype is not null && existing.DType != dtype)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{key}' is used as both {existing.DType.Value.Name()} and {dtype.Value.Name()}", record, offset);
            return dtype == existing.DType ? existing : new StorageRef(existing, dtype ?? existing.DType, 0);
        }
        long bytes;
        try { bytes = untyped ? numel : checked(numel * dtype!.Value.ElementSize()); }
        catch (OverflowException) { return ThrowHelper.Format<object>(PtErrorKind.InvalidTensor, $"storage '{key}' size {numel} overflows", record, offset); }

        PtStorage storage;
        if (hasRecord)
        {
            var payload = _zip.GetPayload(member, _options.ZipLimits);
            if (payload.Length < bytes)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage record holds {payload.Length} bytes but the pickle declares {bytes} ({numel} elements)", _zip.NameAt(member), offset);
            storage = new PtStorage(key, untyped ? null : dtype, bytes, location, null, payload.Source, payload.Start, _bigEndian) { RecordOf = (_nameOf, member) };
            (_byRecord ??= new PtStorage?[_zip.Count])[member] = storage;
        }
        else if (bytes == 0 || location == "meta")
        {
            // Zero-byte storages need no record; meta storages have no meaningful bytes.
            storage = new PtStorage(key, untyped ? null : dtype, bytes, location, null, bytes == 0 ? PinnedBytes.Empty : null, 0, _bigEndian);
            (_recordless ??= new(StringComparer.Ordinal))[key] = storage;
        }
        else
        {
            return ThrowHelper.Format<object>(PtErrorKind.MissingRecord, $"record '{_recordPrefix + key}' for storage '{key}' is missing", record, offset);
        }
        if (dtype is not null) storage.SwapUnit = dtype.Value.SwapUnit();
        Storages.Add(storage);
        return dtype == storage.DType ? storage : new StorageRef(storage, dtype, 0);
    }

    internal static string? Text(object? v) => v switch
    {
        string s => s,
        byte[] b => System.Text.Encoding.ASCII.GetString(b),
        _ => null,
    };

    /// <summary>Maps a storage class global to its dtype. As torch.load does, only the class name matters (<c>torch.cuda.FloatStorage</c> works).</summary>
    internal static (DType? DType, bool Untyped) StorageType(object? v, string record, long offset)
    {
        if (v is PyGlobal g && g.Name.Contains("Storage", StringComparison.Ordinal))
        {
            if (g.Name is "UntypedStorage" or "TypedStorage") return (null, true);
            if (DTypes.TryFromStorageClass(g.Name, out var d)) return (d, false);
            return ThrowHelper.Format<(DType?, bool)>(PtErrorKind.Unsupported, $"unknown storage class '{g.FullName}'", record, offset);
        }
        return ThrowHelper.Format<(DType?, bool)>(PtErrorKind.CorruptPickle, $"storage type is {PickleMachine.Describe(v)}, not a storage class", record, offset);
    }
}
