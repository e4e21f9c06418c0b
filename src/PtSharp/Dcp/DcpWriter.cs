using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Transforms;
using PtSharp.Writing;

namespace PtSharp.Dcp;

/// <summary>
/// Writes a <c>torch.distributed.checkpoint</c> folder that torch's <c>dcp.load</c> and <c>dcp_to_torch_save</c> read:
/// one <c>__{rank}_0.distcp</c> file per writer, each tensor split by rows over the writers as
/// <c>torch.chunk(t, writers)</c> splits it (each chunk a <c>torch.save</c> of the chunk), and a pickled
/// <c>.metadata</c>. The folder is written under a temporary name next to the target and renamed into place.
/// </summary>
public static class DcpWriter
{
    private const int Alignment = 64;

    /// <summary>Writes <paramref name="tensors"/> (flattened names) to the folder <paramref name="folder"/>.</summary>
    /// <exception cref="PtWriteException">A tensor cannot be written.</exception>
    /// <exception cref="IOException">
    /// Writing failed, or <paramref name="folder"/> exists and is not a distributed checkpoint.
    /// </exception>
    public static DcpWriteResult Save(string folder, IReadOnlyList<NamedTensor> tensors, DcpSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var duplicate = tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new PtWriteException($"two tensors are named '{duplicate.Key}'", duplicate.Key);
        return Write(folder, tensors.Select(t => new DcpFlatEntry(t.Name, [t.Name], t.Tensor)).ToList(), options);
    }

    /// <summary>
    /// Writes nested state (<c>{'model': ..., 'optim': ..., 'epoch': 3}</c>) as torch 2.6's <c>dcp.save</c> does:
    /// flattened to dotted names (<c>optim.state.0.exp_avg</c>, <c>optim.param_groups.0.lr</c>) with each name's
    /// path recorded in <c>planner_data</c>, tensors as chunked tensor items and every other value (numbers,
    /// strings, tuples, lists without tensors, objects) as a bytes item holding a <c>torch.save</c> of it.
    /// </summary>
    /// <exception cref="PtWriteException">A value cannot be written, or two values flatten to one name.</exception>
    /// <exception cref="IOException">
    /// Writing failed, or <paramref name="folder"/> exists and is not a distributed checkpoint.
    /// </exception>
    public static DcpWriteResult SaveState(string folder, PyDict state, DcpSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Write(folder, DcpFlattening.Flatten(state), options);
    }

    private static DcpWriteResult Write(string folder, List<DcpFlatEntry> entries, DcpSaveOptions? options)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new DcpSaveOptions();
        if (options.Writers is < 1 or > 4096)
            throw new ArgumentException($"--writers must be between 1 and 4096, not {options.Writers}");
        string full = Path.GetFullPath(folder.TrimEnd('/', '\\'));
        if (File.Exists(full)) throw new IOException($"{folder} is a file; a distributed checkpoint is a folder");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()
            && !DcpCheckpoint.IsDcpFolder(full))
            throw new IOException($"{folder} exists and is not a distributed checkpoint; refusing to replace it");

        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            var items = WriteData(temp, entries, options);
            var paths = entries.ToDictionary(e => e.Name, e => e.Path, StringComparer.Ordinal);
            File.WriteAllBytes(Path.Combine(temp, DcpMetadataReader.FileName), DcpMetadataWriter.Write(items, paths));
            if (options.Verify) Verify(temp, entries);
            Replace(temp, full);
            return new DcpWriteResult(full, Enumerable.Range(0, options.Writers).Select(FileName).ToList(), items.Count,
                items.OfType<DcpTensorItem>().Sum(t => t.Chunks.Sum(c => c.Storage.Length))
                + items.OfType<DcpBytesItem>().Sum(b => b.Storage.Length));
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static string FileName(int rank) => $"__{rank}_0.distcp";

    private static List<DcpItem> WriteData(string temp, List<DcpFlatEntry> entries, DcpSaveOptions options)
    {
        int writers = options.Writers;
        var chunks = new List<DcpChunk>?[entries.Count];
        var bytes = new DcpStorageInfo?[entries.Count];
        for (int rank = 0; rank < writers; rank++)
        {
            string name = FileName(rank);
            using var stream = new FileStream(Path.Combine(temp, name), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1 << 16);
            for (int i = 0; i < entries.Count; i++)
            {
                if (entries[i].Value is not PtTensor t)
                {
                    // Non-tensor values go to the first writer, as a single-process dcp.save puts them.
                    if (rank == 0) bytes[i] = WriteBytes(stream, name, entries[i]);
                    continue;
                }
                var named = new NamedTensor(entries[i].Name, t);
                foreach (var (offsets, sizes) in Split(t, writers, i, rank))
                {
                    Pad(stream);
                    long start = stream.Position;
                    PtWriter.Save(stream, ChunkOf(named, offsets, sizes));
                    (chunks[i] ??= []).Add(new DcpChunk(offsets, sizes,
                        new DcpStorageInfo(name, start, stream.Position - start)));
                }
            }
            stream.Flush(flushToDisk: true);
        }
        return entries.Select((e, i) => e.Value is PtTensor t
            ? (DcpItem)new DcpTensorItem(e.Name, t.DType, t.Shape.ToArray(),
                (chunks[i] ?? []).OrderBy(c => c.Offsets.Count == 0 ? 0 : c.Offsets[0]).ToList(), false)
            : new DcpBytesItem(e.Name, bytes[i]!)).ToList();
    }

    /// <summary>A bytes item: <c>torch.save(value, BytesIO())</c>, as torch's default planner serializes one.</summary>
    private static DcpStorageInfo WriteBytes(Stream stream, string file, DcpFlatEntry entry)
    {
        Pad(stream);
        long start = stream.Position;
        try
        {
            PtWriter.Save(stream, entry.Value);
        }
        catch (PtWriteException e)
        {
            throw new PtWriteException($"the value '{entry.Name}' cannot be written: {e.Message}");
        }
        return new DcpStorageInfo(file, start, stream.Position - start);
    }

    /// <summary>
    /// The chunks of tensor <paramref name="index"/> that <paramref name="rank"/> stores: rows split as
    /// <c>torch.chunk</c> does (ceil(rows / writers) each, the last ones smaller or absent); tensors with fewer rows
    /// than writers, scalars and empty tensors go whole to one writer, round-robin.
    /// </summary>
    internal static IEnumerable<(long[] Offsets, long[] Sizes)> Split(PtTensor t, int writers, int index, int rank)
    {
        var shape = t.Shape.ToArray();
        if (shape.Length == 0 || shape[0] < writers || t.ElementCount == 0)
        {
            if (index % writers == rank) yield return (new long[shape.Length], shape);
            yield break;
        }
        long step = (shape[0] + writers - 1) / writers;
        long begin = rank * step;
        if (begin >= shape[0]) yield break;
        var offsets = new long[shape.Length];
        offsets[0] = begin;
        var sizes = (long[])shape.Clone();
        sizes[0] = Math.Min(step, shape[0] - begin);
        yield return (offsets, sizes);
    }

    /// <summary>
    /// The rows of a chunk as a tensor of its own storage (torch.save of a view would write the whole base storage).
    /// </summary>
    private static PtTensor ChunkOf(NamedTensor named, long[] offsets, long[] sizes)
    {
        var t = named.Tensor;
        if (t.IsSparse || t.DType.IsQuantized() || t.Storage is not { HasData: true } && t.ElementCount > 0)
        {
            object what = t.IsSparse ? t.Layout : t.DType.IsQuantized() ? "quantized" : "without data";
            throw new PtWriteException($"'{named.Name}' is {what}; a distributed checkpoint holds dense tensors",
                named.Name);
        }
        if (!LogicalBytes.IsDirect(t)) t = Compact(t);
        long rowElements = offsets.Length == 0 ? 1 : t.ElementCount / Math.Max(1, t.Shape[0]);
        long first = offsets.Length == 0 ? 0 : offsets[0];
        int es = t.DType.ElementSize();
        long bytes = sizes.Aggregate(1L, (a, b) => a * b) * es;
        if (bytes == 0) return RawTensor.Of([], sizes, t.DType);
        var storage = t.Storage!.Slice("0", (t.StorageOffset + first * rowElements) * es, bytes);
        return PtTensor.FromStorage(storage, t.DType, sizes, PtTensor.ContiguousStrides(sizes), 0);
    }

    private static unsafe PtTensor Compact(PtTensor t)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)t.ByteCount), pinned: true);
        var reader = new LogicalBytes(t);
        var scratch = new byte[1 << 16];
        int at = 0;
        while (reader.Remaining > 0)
        {
            var piece = reader.Next(scratch.Length, scratch);
            piece.CopyTo(bytes.AsSpan(at));
            at += piece.Length;
        }
        return RawTensor.Of(bytes, t.Shape.ToArray(), t.DType);
    }

    private static void Pad(Stream stream)
    {
        int pad = (int)((Alignment - stream.Position % Alignment) % Alignment);
        if (pad > 0) stream.Write(new byte[pad]);
    }

    private static void Verify(string temp, List<DcpFlatEntry> entries)
    {
        using var back = DcpCheckpoint.Open(temp);
        var expected = entries.Where(e => e.Value is PtTensor).Select(e => new NamedTensor(e.Name, (PtTensor)e.Value!));
        TensorEquality.Verify(expected.ToList(), back.Tensors, Path.GetFileName(temp));
        int values = entries.Count(e => e.Value is not PtTensor);
        if (back.Values.Count != values)
            throw new PtWriteException($"{back.Values.Count} values read back, {values} written", null);
    }

    private static void Replace(string temp, string full)
    {
        if (!Directory.Exists(full)) { Directory.Move(temp, full); return; }
        string old = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.old");
        Directory.Move(full, old);
        Directory.Move(temp, full);
        Directory.Delete(old, recursive: true);
    }
}

/// <summary>Options for <see cref="DcpWriter.Save"/>.</summary>
public sealed class DcpSaveOptions
{
    /// <summary>
    /// Number of writers (ranks) to split the tensors over: one <c>.distcp</c> file each (default 1).
    /// </summary>
    public int Writers { get; set; } = 1;

    /// <summary>Read the folder back and compare every tensor before it replaces the target (default true).</summary>
    public bool Verify { get; set; } = true;
}

/// <summary>What <see cref="DcpWriter.Save"/> wrote.</summary>
/// <param name="Folder">The checkpoint folder.</param>
/// <param name="DataFiles">The <c>.distcp</c> files, relative to the folder.</param>
/// <param name="ItemCount">Items recorded in <c>.metadata</c>.</param>
/// <param name="Bytes">Bytes of chunk records written.</param>
public sealed record DcpWriteResult(string Folder, IReadOnlyList<string> DataFiles, int ItemCount, long Bytes);
