using System.Buffers.Binary;
using System.Numerics;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Torch;

namespace PtSharp.Loading;

/// <summary>
/// The legacy stream format (torch &lt; 1.6, or <c>_use_new_zipfile_serialization=False</c>): pickles of the magic
/// number, protocol version and sys_info, the main pickle, the sorted storage key list, then each storage as an
/// int64 element count followed by its bytes (torch/serialization.py <c>_legacy_load</c>).
/// </summary>
internal static class LegacyStreamLoader
{
    internal static readonly BigInteger MagicNumber = BigInteger.Parse("119547037146038801333356");
    private const long ProtocolVersion = 1001;
    private const string Section = "legacy stream";

    /// <summary>How protocols 0 and 1 write the magic number: a text LONG opcode.</summary>
    internal static ReadOnlySpan<byte> TextMagic => "L119547037146038801333356L\n"u8;

    /// <summary>True when a file starts as a <c>_use_new_zipfile_serialization=False</c> save starts.</summary>
    internal static bool LooksLikeLegacy(ReadOnlySpan<byte> head) =>
        head.Length >= 2 && head[0] == 0x80 || head.StartsWith(TextMagic);

    public static LoadResult Load(ByteWindow all, PtLoadOptions options)
    {
        var nothing = new RejectingResolver();
        long pos = 0;
        object? magic = RunSmall(all, ref pos, "magic number", nothing, options);
        if (magic is not BigInteger m || m != MagicNumber)
            ThrowHelper.Format(PtErrorKind.UnknownFormat,
                "not a PyTorch file: a pickle, but not the legacy magic number (plain pickles are not .pt files)",
                Section, 0);
        object? version = RunSmall(all, ref pos, "protocol version", nothing, options);
        if (version is not long v || v != ProtocolVersion)
            ThrowHelper.Format(PtErrorKind.Unsupported,
                $"legacy protocol version {version} is not supported (expected {ProtocolVersion})", Section, pos);
        object? sysInfo = RunSmall(all, ref pos, "sys_info", nothing, options);
        _ = sysInfo; // torch's storage writer (torch/csrc/serialization.cpp) always writes blobs little-endian,
        const bool bigEndian = false; // whatever sys_info's little_endian says about the writing machine

        var resolver = new LegacyResolver(bigEndian);
        var host = new TorchPickleHost(resolver, options.ToReadPolicy(), "main pickle");
        var vm = new PickleMachine(all, "main pickle", host, options.PickleLimits, pos);
        object? root;
        try { root = vm.Run(); }
        catch (PtFormatException e) when (e is not PickleSecurityException && e.Record == "main pickle"
            && e.Offset is long o)
        {
            throw new PtFormatException(e.Kind, e.Detail, Section, o, e);
        }
        pos = vm.Position;

        object? keys = RunSmall(all, ref pos, "storage key list", nothing, options);
        if (keys is not PyList keyList) return ThrowHelper.Format<LoadResult>(PtErrorKind.CorruptContainer,
            "storage key list is not a list", Section, pos);
        foreach (var k in keyList)
        {
            string key = k as string ?? ThrowHelper.Format<string>(PtErrorKind.CorruptContainer,
                "storage key is not a string", Section, pos);
            if (!resolver.Storages.TryGetValue(key, out var storage))
                ThrowHelper.Format(PtErrorKind.CorruptContainer,
                    $"storage '{key}' is listed but no tensor refers to it", Section, pos);
            var header = all.Span(pos, 8, $"size of storage '{key}'", Section);
            long count = BinaryPrimitives.ReadInt64LittleEndian(header);
            int unit = storage.DType?.ElementSize() ?? 1;
            if (count < 0 || count != storage.ByteLength / unit)
                ThrowHelper.Format(PtErrorKind.InvalidTensor,
                    $"storage '{key}' holds {count} elements but the pickle declares {storage.ByteLength / unit}",
                    Section, pos);
            pos += 8;
            if (!all.Contains(pos, storage.ByteLength))
                ThrowHelper.Format(PtErrorKind.Truncated,
                    $"storage '{key}' needs {storage.ByteLength} bytes but the file ends first", Section, pos);
            storage.Bind(all.Source, all.Start + pos);
            storage.Record = $"storage {key}";
            pos += storage.ByteLength;
        }
        foreach (var s in resolver.Storages.Values)
            if (!s.HasData && s.ByteLength > 0)
                ThrowHelper.Format(PtErrorKind.MissingRecord,
                    $"storage '{s.Key}' is used by a tensor but its bytes are missing", Section, pos);

        string protocolVersion = ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new LoadResult(PtFormat.Legacy, root, vm.Protocol, host.SeenGlobals, resolver.Storages.Values)
        {
            FormatVersion = protocolVersion,
            BigEndian = bigEndian,
            Record = "main pickle",
        };
    }

    private static object? RunSmall(ByteWindow all, ref long pos, string what, IPersistentResolver resolver,
        PtLoadOptions options)
    {
        var host = new TorchPickleHost(resolver, options.ToReadPolicy(), what);
        var vm = new PickleMachine(all, Section, host, options.PickleLimits, pos);
        var value = vm.Run();
        pos = vm.Position;
        return value;
    }

    private sealed class RejectingResolver : IPersistentResolver
    {
        public object? Resolve(object? pid, string record, long offset) =>
            ThrowHelper.Format<object>(PtErrorKind.CorruptPickle, "unexpected persistent id in a header pickle",
                record, offset);
    }

    /// <summary>
    /// Legacy pids: <c>('storage', type, root_key, location, numel, view_metadata)</c> and
    /// <c>('module', cls, file, source)</c>.
    /// </summary>
    private sealed class LegacyResolver(bool bigEndian) : IPersistentResolver
    {
        public Dictionary<string, PtStorage> Storages { get; } = new(StringComparer.Ordinal);

        public object? Resolve(object? pid, string record, long offset)
        {
            // Protocol 0 writes the id tuple as its str() in a text PERSID line.
            if (pid is string text) pid = LegacyPersistentIdText.TryParse(text, record, offset) ?? pid;
            if (pid is not PyTuple t || t.Count < 1)
                return ThrowHelper.Format<object>(PtErrorKind.CorruptPickle,
                    $"persistent id is {PickleMachine.Describe(pid)}", record, offset);
            string? tag = ZipStorageResolver.Text(t[0]);
            if (tag == "module" && t.Count >= 2) return t[1];
            if (tag != "storage" || t.Count < 6)
                return ThrowHelper.Format<object>(PtErrorKind.CorruptPickle,
                    "persistent id is not a legacy ('storage', ...) tuple", record, offset);
            var (dtype, untyped) = ZipStorageResolver.StorageType(t[1], record, offset);
            string key = ZipStorageResolver.Text(t[2]) ?? ThrowHelper.Format<string>(PtErrorKind.CorruptPickle,
                "storage key is not a string", record, offset);
            string location = ZipStorageResolver.Text(t[3]) ?? "cpu";
            long numel = TensorFactory.ReadLong(t[4], "storage size", record, offset);
            if (numel < 0)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{key}' has negative size", record, offset);
            int unit = untyped ? 1 : dtype!.Value.ElementSize();
            if (!Storages.TryGetValue(key, out var storage))
            {
                long bytes = 0;
                try { bytes = checked(numel * unit); }
                catch (OverflowException)
                {
                    ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{key}' size overflows", record, offset);
                }
                storage = new PtStorage(key, dtype, bytes, location, null, null, 0, bigEndian)
                {
                    SwapUnit = dtype?.SwapUnit() ?? 1,
                };
                Storages[key] = storage;
            }
            else if (storage.DType != dtype)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"storage '{key}' is used with two dtypes", record,
                    offset);

            long viewOffset = 0;
            if (t[5] is PyTuple { Count: 3 } view)
            {
                viewOffset = TensorFactory.ReadLong(view[1], "storage view offset", record, offset);
                long viewSize = TensorFactory.ReadLong(view[2], "storage view size", record, offset);
                long capacity = storage.ByteLength / unit;
                if (viewOffset < 0 || viewSize < 0 || viewOffset > capacity || viewSize > capacity - viewOffset)
                    ThrowHelper.Format(PtErrorKind.InvalidTensor,
                        $"storage view [{viewOffset}, +{viewSize}) lies outside storage '{key}'", record, offset);
            }
            return new StorageRef(storage, dtype, viewOffset);
        }
    }
}
