using System.Text;
using Microsoft.Win32.SafeHandles;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Writing;

/// <summary>
/// Writes .pt files that <c>torch.load</c> reads (with <c>weights_only=True</c> when the contents allow it): the zip
/// layout of current <c>torch.save</c>, pickle protocol 2, 64-byte aligned stored records, CRC-32s, ZIP64 end records.
/// Tensors that share a storage share one record. Writes go to a temporary file in the target folder that replaces
/// the target only once complete.
/// </summary>
public static class PtWriter
{
    /// <summary>
    /// Saves <paramref name="root"/> (a state dict, checkpoint, tensor, or any tree PtSharp reads) to
    /// <paramref name="path"/>. Storages of 1 MiB and more that are unchanged bytes of a file PtSharp opened are
    /// copied file to file in the kernel on Linux (<c>copy_file_range</c>), the others through memory.
    /// </summary>
    /// <exception cref="PtWriteException">A value cannot be written; nothing was written.</exception>
    /// <exception cref="PtFormatException">
    /// A source file was truncated after it was opened; nothing was written.
    /// </exception>
    /// <exception cref="IOException">
    /// Writing failed; the previous file at <paramref name="path"/> is unchanged.
    /// </exception>
    public static void Save(string path, object? root, PtSaveOptions? options = null) =>
        Save(path, root, options, checkBeforeReplace: null);

    /// <summary>
    /// <see cref="Save(string, object?, PtSaveOptions?)"/>, running <paramref name="checkBeforeReplace"/> on the
    /// complete, flushed temporary file before it replaces the target: when the check throws, the target is left as
    /// it was and the temporary file is deleted (a converter's read-back verification).
    /// </summary>
    internal static void Save(string path, object? root, PtSaveOptions? options, Action<string>? checkBeforeReplace)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new PtSaveOptions();
        string full = AtomicFile.Target(path);
        string archive = options.ArchiveName ?? ArchiveNameFor(full);
        var plan = Prepare(root);
        AtomicFile.Write(full, temp =>
        {
            // FileShare.Read so the check can map the file while this handle is still open.
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
            var flusher = new BackgroundFlush(stream.SafeFileHandle);
            WriteArchive(stream, archive, plan, options, flusher, stream);
            flusher.Drain();
            stream.Flush();
            if (checkBeforeReplace is null)
            {
                RandomAccess.FlushToDisk(stream.SafeFileHandle);
                return;
            }
            // The final flush (disk-bound) runs while the check reads the file back (memory-bound), as the
            // safetensors writer does; the file replaces the target only once both are done.
            var handle = stream.SafeFileHandle;
            var flush = Task.Run(() => RandomAccess.FlushToDisk(handle));
            try
            {
                checkBeforeReplace(temp);
            }
            finally
            {
                flush.GetAwaiter().GetResult();
            }
        });
    }

    /// <summary>
    /// Writes <paramref name="root"/> as a .pt zip to a stream (archive name <c>archive</c> unless set).
    /// </summary>
    /// <exception cref="PtWriteException">A value cannot be written; nothing was written.</exception>
    public static void Save(Stream stream, object? root, PtSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new PtSaveOptions();
        WriteArchive(stream, options.ArchiveName ?? "archive", Prepare(root), options);
    }

    /// <summary>
    /// Saves a state dict: an <c>OrderedDict</c> of name → tensor, as <c>torch.save(model.state_dict())</c> writes.
    /// Takes the same pairs as <c>SafetensorsWriter</c>; a <see cref="StateDict"/> with
    /// <see cref="StateDict.Metadata"/> is written with it as its <c>_metadata</c>, as torch saves one.
    /// </summary>
    /// <exception cref="PtWriteException">A tensor cannot be written.</exception>
    public static void SaveStateDict(string path, IEnumerable<NamedTensor> tensors, PtSaveOptions? options = null) =>
        SaveStateDict(path, tensors, options, checkBeforeReplace: null);

    /// <summary>
    /// <see cref="SaveStateDict(string, IEnumerable{NamedTensor}, PtSaveOptions?)"/> with a check of the temporary
    /// file before it replaces the target.
    /// </summary>
    internal static void SaveStateDict(string path, IEnumerable<NamedTensor> tensors, PtSaveOptions? options,
        Action<string>? checkBeforeReplace)
    {
        var dict = new Pickle.PyDict("collections.OrderedDict");
        foreach (var (name, tensor) in tensors) dict.Set(name, tensor);
        if (tensors is StateDict { Metadata: { } metadata })
            dict.Attributes = new Pickle.PyDict { { "_metadata", metadata } };
        Save(path, dict, options, checkBeforeReplace);
    }

    /// <summary>torch.save's archive name: the file name with its last extension removed.</summary>
    internal static string ArchiveNameFor(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        int dot = name.LastIndexOf('.');
        name = dot > 0 ? name[..dot] : name;
        return name.Length == 0 || name.Any(c => c > 0x7E || c < 0x20 || c == '/' || c == '\\') ? "archive" : name;
    }

    private sealed record Plan(byte[] DataPkl, StorageTable Storages);

    /// <summary>Pickles the tree and validates every tensor before any byte is written.</summary>
    private static Plan Prepare(object? root)
    {
        var pickler = new TorchPickler();
        var data = pickler.Pickle(root);
        return new Plan(data, pickler.Storages);
    }

    private static unsafe void WriteArchive(Stream stream, string archive, Plan plan, PtSaveOptions options,
        IO.BackgroundFlush? flusher = null, FileStream? file = null)
    {
        var entries = plan.Storages.Entries;
        var sources = SourceRanges(entries, kernelCopy: file is not null && KernelCopy.IsAvailable);
        var zip = new AlignedZipWriter(stream);
        zip.WriteRecord(archive + "/data.pkl", plan.DataPkl);
        zip.WriteRecord(archive + "/byteorder", "little"u8);
        long done = 0;
        int chunk = Math.Max(4096, options.ChunkSize);
        // Pointers are taken here, on this thread: a big-endian storage makes its swapped copy on first access.
        var large = new List<RecordChecksums.Region>();
        for (int i = 0; i < entries.Count; i++)
        {
            var storage = entries[i].Storage;
            if (storage.Producer is not null || storage.ByteLength < RecordChecksums.MinLength) continue;
            large.Add(sources[i] is { } r
                ? new(0, storage.ByteLength, r.Handle, r.Offset, storage.Key)
                : new((nint)storage.Pointer, storage.ByteLength));
        }
        using var checksums = new RecordChecksums(large);
        int nextLarge = 0;
        void Advance(int n)
        {
            done += n;
            options.Progress?.Report(done);
            flusher?.Written(done);
        }
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var storage = entry.Storage;
            long length = storage.ByteLength;
            string name = $"{archive}/data/{entry.Key}";
            int crcIndex = storage.Producer is null && length >= RecordChecksums.MinLength ? nextLarge++ : -1;
            if (sources[i] is { } source && crcIndex >= 0)
            {
                zip.WriteRecordAt(name, length, at => CopyFromFile(storage, source, file!, at, options, Advance),
                    () => checksums.Get(crcIndex));
                continue;
            }
            zip.WriteRecord(name, length, sink =>
            {
                if (length == 0) return;
                if (storage.Producer is { } produce)
                {
                    produce(chunk => { sink(chunk); Advance(chunk.Length); });
                    return;
                }
                byte* p = storage.Pointer;
                for (long at = 0; at < length; at += chunk)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    int n = (int)Math.Min(chunk, length - at);
                    sink(new ReadOnlySpan<byte>(p + at, n));
                    Advance(n);
                }
            }, crcIndex < 0 ? null : () => checksums.Get(crcIndex));
        }
        zip.WriteRecord(archive + "/version", Encoding.ASCII.GetBytes("3\n"));
        zip.Finish();
    }

    /// <summary>
    /// Where each storage's bytes lie in an open source file (null for storages in memory), after checking that
    /// every source file still holds them: a file truncated since it was opened is a typed error before anything is
    /// written, instead of a SIGBUS when the mapping is read past the file's new end. Only storages the kernel
    /// will copy get a range; the others are just checked.
    /// </summary>
    private static (SafeFileHandle Handle, long Offset)?[] SourceRanges(List<StorageTable.Entry> entries,
        bool kernelCopy)
    {
        var ranges = new (SafeFileHandle, long)?[entries.Count];
        var lengths = new Dictionary<SafeFileHandle, long>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < entries.Count; i++)
        {
            var storage = entries[i].Storage;
            if (storage.Producer is not null || storage.ByteLength == 0) continue;
            if (!storage.TryGetFileRange(out var handle, out long offset) || handle is null) continue;
            if (!lengths.TryGetValue(handle, out long fileLength))
                lengths[handle] = fileLength = RandomAccess.GetLength(handle);
            if (offset + storage.ByteLength > fileLength)
                throw RecordChecksums.Truncated(new(0, storage.ByteLength, handle, offset, storage.Key),
                    Math.Max(0, fileLength - offset));
            if (kernelCopy) ranges[i] = (handle, offset);
        }
        return ranges;
    }

    /// <summary>
    /// Copies a storage from its source file into the output at <paramref name="at"/> in the kernel, in steps that
    /// report progress and honour cancellation; what the kernel will not copy (another file system, an old kernel)
    /// is copied from the mapping instead.
    /// </summary>
    private static unsafe void CopyFromFile(PtStorage storage, (SafeFileHandle Handle, long Offset) source,
        FileStream file, long at, PtSaveOptions options, Action<int> advance)
    {
        const long Step = 64L << 20;
        long length = storage.ByteLength, done = 0;
        var output = file.SafeFileHandle;
        while (done < length && KernelCopy.IsAvailable)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            long want = Math.Min(Step, length - done);
            long n = KernelCopy.Copy(source.Handle, source.Offset + done, output, at + done, want, out bool ended);
            done += n;
            if (n > 0) advance((int)n);
            if (ended)
                throw RecordChecksums.Truncated(new(0, length, source.Handle, source.Offset, storage.Key), done);
            if (n < want) break;
        }
        int chunk = Math.Max(4096, options.ChunkSize);
        byte* p = storage.Pointer;
        while (done < length)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            int n = (int)Math.Min(chunk, length - done);
            RandomAccess.Write(output, new ReadOnlySpan<byte>(p + done, n), at + done);
            done += n;
            advance(n);
        }
    }
}
