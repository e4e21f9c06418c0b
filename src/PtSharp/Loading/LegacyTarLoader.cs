using System.Buffers.Binary;
using PtSharp.Containers;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Torch;

namespace PtSharp.Loading;

/// <summary>
/// The oldest format (torch ≤ 0.3): a tar with members <c>sys_info</c>, <c>storages</c>, <c>tensors</c> and
/// <c>pickle</c> (torch/serialization.py <c>legacy_load</c>). Every embedded pickle runs through the same safe
/// machine and the same strict-mode checks as the main one.
/// </summary>
internal static class LegacyTarLoader
{
    public static LoadResult Load(ByteWindow all, PtLoadOptions options)
    {
        var members = ReadMembers(all);
        foreach (var required in new[] { "storages", "tensors", "pickle" })
            if (!members.ContainsKey(required)) ThrowHelper.Format(PtErrorKind.MissingRecord,
                $"legacy tar file has no '{required}' member", required, null);

        var objects = new Dictionary<string, object>(StringComparer.Ordinal);
        var storages = new List<PtStorage>();
        var globals = new List<string>();

        // storages: count, then per storage (key, location, storage_type) + int64 count + bytes, then the view list.
        {
            var w = members["storages"];
            long pos = 0;
            long count = Expect<long>(Run(w, ref pos, "storages", options, null, globals), "storage count",
                "storages", pos);
            if (count < 0 || count > w.Length) ThrowHelper.Format(PtErrorKind.CorruptContainer,
                $"storage count {count} is impossible", "storages", 0);
            for (long i = 0; i < count; i++)
            {
                var desc = Expect<PyTuple>(Run(w, ref pos, "storages", options, null, globals), "storage header",
                    "storages", pos);
                if (desc.Count < 3) ThrowHelper.Format(PtErrorKind.CorruptContainer,
                    "storage header is not (key, location, type)", "storages", pos);
                string key = KeyText(desc[0]);
                var (dtype, untyped) = ZipStorageResolver.StorageType(desc[2], "storages", pos);
                int unit = untyped ? 1 : dtype!.Value.ElementSize();
                long n = BinaryPrimitives.ReadInt64LittleEndian(w.Span(pos, 8, "storage size", "storages"));
                pos += 8;
                if (n < 0 || n > (w.Length - pos) / unit) ThrowHelper.Format(PtErrorKind.Truncated,
                    $"storage '{key}' declares {n} elements past the end of the member", "storages", pos);
                var storage = new PtStorage(key, dtype, n * unit, ZipStorageResolver.Text(desc[1]) ?? "cpu",
                    "storages", w.Source, w.Start + pos, false);
                pos += n * unit;
                objects[key] = new StorageRef(storage, dtype, 0);
                storages.Add(storage);
            }
            var views = Run(w, ref pos, "storages", options, null, globals);
            if (views is PyList viewList)
                foreach (var v in viewList)
                {
                    if (v is not PyTuple { Count: 4 } vt) return ThrowHelper.Format<LoadResult>(
                        PtErrorKind.CorruptContainer, "storage view is not (target, root, offset, numel)",
                            "storages", pos);
                    if (!objects.TryGetValue(KeyText(vt[1]), out var root) || root is not StorageRef r)
                    return ThrowHelper.Format<LoadResult>(PtErrorKind.CorruptContainer,
                        $"storage view refers to unknown root '{vt[1]}'", "storages", pos);
                    long offset = TensorFactory.ReadLong(vt[2], "view offset", "storages", pos);
                    long numel = TensorFactory.ReadLong(vt[3], "view size", "storages", pos);
                    int unit = r.Storage.DType?.ElementSize() ?? 1;
                    if (offset < 0 || numel < 0 || offset > r.Storage.ByteLength / unit
                        || numel > r.Storage.ByteLength / unit - offset)
                        ThrowHelper.Format(PtErrorKind.InvalidTensor, "storage view lies outside its root storage",
                            "storages", pos);
                    // torch slices the root into a storage of its own; tensors on it count offsets from the view.
                    var slice = r.Storage.Slice(KeyText(vt[0]), (r.ElementOffset + offset) * unit, numel * unit);
                    storages.Add(slice);
                    objects[KeyText(vt[0])] = new StorageRef(slice, r.DType, 0);
                }
        }

        // tensors: count, then per tensor (key, storage_key, type) + int32 ndim + 4 ignored bytes + sizes + strides +
        // offset.
        {
            var w = members["tensors"];
            long pos = 0;
            long count = Expect<long>(Run(w, ref pos, "tensors", options, null, globals), "tensor count", "tensors",
                pos);
            if (count < 0 || count > w.Length) ThrowHelper.Format(PtErrorKind.CorruptContainer,
                $"tensor count {count} is impossible", "tensors", 0);
            for (long i = 0; i < count; i++)
            {
                var desc = Expect<PyTuple>(Run(w, ref pos, "tensors", options, null, globals), "tensor header",
                    "tensors", pos);
                if (desc.Count < 2) ThrowHelper.Format(PtErrorKind.CorruptContainer,
                    "tensor header is not (key, storage_key, type)", "tensors", pos);
                if (!objects.TryGetValue(KeyText(desc[1]), out var so) || so is not StorageRef s)
                return ThrowHelper.Format<LoadResult>(PtErrorKind.CorruptContainer,
                    $"tensor refers to unknown storage '{desc[1]}'", "tensors", pos);
                int ndim = BinaryPrimitives.ReadInt32LittleEndian(w.Span(pos, 4, "tensor rank", "tensors"));
                if (ndim < 0 || ndim > TensorLayout.MaxRank) ThrowHelper.Format(PtErrorKind.InvalidTensor,
                    $"tensor rank {ndim} is out of range", "tensors", pos);
                pos += 8;
                var dims = w.Span(pos, 16L * ndim + 8, "tensor sizes and strides", "tensors");
                var shape = new long[ndim];
                var stride = new long[ndim];
                for (int d = 0; d < ndim; d++)
                {
                    shape[d] = BinaryPrimitives.ReadInt64LittleEndian(dims[(8 * d)..]);
                    stride[d] = BinaryPrimitives.ReadInt64LittleEndian(dims[(8 * (ndim + d))..]);
                }
                long offset = BinaryPrimitives.ReadInt64LittleEndian(dims[(16 * ndim)..]);
                var tensor = TensorLayout.Create(s.DType ?? DType.UInt8, shape, stride, checked(offset
                    + s.ElementOffset), s.Storage, "tensors", pos);
                tensor.Rebuild = "legacy-tar";
                pos += 16L * ndim + 8;
                objects[KeyText(desc[0])] = tensor;
            }
        }

        var main = members["pickle"];
        long mainPos = 0;
        var host = new TorchPickleHost(new TarResolver(objects), options.ToReadPolicy(), "pickle");
        var vm = new PickleMachine(main, "pickle", host, options.PickleLimits, mainPos);
        var result = vm.Run();
        globals.AddRange(host.SeenGlobals);
        return new LoadResult(PtFormat.LegacyTar, result, vm.Protocol, host.SeenGlobals,
            storages) { FormatVersion = "1001", Record = "pickle" };
    }

    private static string KeyText(object? key) => key switch
    {
        string s => s,
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => ZipStorageResolver.Text(key) ?? ThrowHelper.Format<string>(PtErrorKind.CorruptContainer,
            $"key is {PickleMachine.Describe(key)}", "tar", null),
    };

    private static T Expect<T>(object? value, string what, string record, long pos) =>
        value is T t ? t : ThrowHelper.Format<T>(PtErrorKind.CorruptContainer,
            $"{what} is {PickleMachine.Describe(value)}", record, pos);

    private static object? Run(ByteWindow w, ref long pos, string record, PtLoadOptions options,
        IPersistentResolver? resolver, List<string> globals)
    {
        var host = new TorchPickleHost(resolver ?? new TarResolver(new()), options.ToReadPolicy(), record);
        var vm = new PickleMachine(w, record, host, options.PickleLimits, pos);
        var v = vm.Run();
        pos = vm.Position;
        globals.AddRange(host.SeenGlobals);
        return v;
    }

    /// <summary>
    /// The members torch's legacy_load opens, as Python's tarfile finds them (<see cref="TarWalker"/>, the same
    /// walker the scanner uses): by exact name, the last of equal names, through links; payloads stay in place.
    /// </summary>
    private static Dictionary<string, ByteWindow> ReadMembers(ByteWindow all)
    {
        var listing = TarWalker.Walk(all, python313: false);
        if (listing.Outcome != TarOutcome.End)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"legacy tar container is corrupt: {listing.Problem}",
                "tar", null);
        var members = new Dictionary<string, ByteWindow>(StringComparer.Ordinal);
        foreach (var m in listing.Members)
        {
            var data = m.IsLink ? TarLinks.Resolve(listing.Members, m) : m;
            if (data is null || !data.HasData) continue;
            if (data.Sparse) ThrowHelper.Format(PtErrorKind.Unsupported, $"tar member '{m.Name}' is a sparse file",
                m.Name, null);
            if (data.Size < 0 || !all.Contains(data.DataOffset, data.Size))
                ThrowHelper.Format(PtErrorKind.Truncated, $"tar member '{m.Name}' is longer than the file", m.Name,
                    null);
            members[m.Name] = all.Slice(data.DataOffset, data.Size, "tar member", m.Name);
        }
        return members;
    }

    /// <summary>Main-pickle pids of the tar format: a tuple (module class) or a key of an already-read tensor or
    /// storage.</summary>
    private sealed class TarResolver(Dictionary<string, object> objects) : IPersistentResolver
    {
        public object? Resolve(object? pid, string record, long offset)
        {
            if (pid is PyTuple t) return t.Count >= 1 ? t[0]
                : null; // torch's legacy_load returns saved_id[0], the class
            string key = KeyText(pid);
            if (long.TryParse(key, out long k)) key = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return objects.TryGetValue(key, out var v)
                ? v
                : ThrowHelper.Format<object>(PtErrorKind.CorruptContainer,
                    $"persistent id '{key}' names no tensor or storage", record, offset);
        }
    }
}
