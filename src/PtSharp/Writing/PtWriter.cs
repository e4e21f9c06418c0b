using System.Text;
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
    /// <summary>Saves <paramref name="root"/> (a state dict, checkpoint, tensor, or any tree PtSharp reads) to <paramref name="path"/>.</summary>
    /// <exception cref="PtWriteException">A value cannot be written; nothing was written.</exception>
    /// <exception cref="IOException">Writing failed; the previous file at <paramref name="path"/> is unchanged.</exception>
    public static void Save(string path, object? root, PtSaveOptions? options = null) => Save(path, root, options, checkBeforeReplace: null);

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
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var flusher = new BackgroundFlush(stream.SafeFileHandle);
                WriteArchive(stream, archive, plan, options, flusher);
                flusher.Drain();
                stream.Flush(flushToDisk: true);
            }
            checkBeforeReplace?.Invoke(temp);
        });
    }

    /// <summary>Writes <paramref name="root"/> as a .pt zip to a stream (archive name <c>archive</c> unless set).</summary>
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

    /// <summary><see cref="SaveStateDict(string, IEnumerable{NamedTensor}, PtSaveOptions?)"/> with a check of the temporary file before it replaces the target.</summary>
    internal static void SaveStateDict(string path, IEnumerable<NamedTensor> tensors, PtSaveOptions? options, Action<string>? checkBeforeReplace)
    {
        var dict = new Pickle.PyDict("collections.OrderedDict");
        foreach (var (name, tensor) in tensors) dict.Set(name, tensor);
        if (tensors is StateDict { Metadata: { } metadata }) dict.Attributes = new Pickle.PyDict { { "_metadata", metadata } };
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

    private static unsafe void WriteArchive(Stream stream, string archive, Plan plan, PtSaveOptions options, IO.BackgroundFlush? flusher = null)
    {
        var zip = new AlignedZipWriter(stream);
        zip.WriteRecord(archive + "/data.pkl", plan.DataPkl);
        zip.WriteRecord(archive + "/byteorder", "little"u8);
        long done = 0;
        int chunk = Math.Max(4096, options.ChunkSize);
        var entries = plan.Storages.Entries;
        // Pointers are taken here, on this thread: a big-endian storage makes its swapped copy on first access.
        var large = new List<(nint, long)>();
        foreach (var entry in entries)
            if (entry.Storage.Producer is null && entry.Storage.ByteLength >= RecordChecksums.MinLength) large.Add(((nint)entry.Storage.Pointer, entry.Storage.ByteLength));
        using var checksums = new RecordChecksums(large);
        int nextLarge = 0;
        foreach (var entry in entries)
        {
            var storage = entry.Storage;
            long length = storage.ByteLength;
            int crcIndex = storage.Producer is null && length >= RecordChecksums.MinLength ? nextLarge++ : -1;
            zip.WriteRecord($"{archive}/data/{entry.Key}", length, sink =>
            {
                if (length == 0) return;
                if (storage.Producer is { } produce)
                {
                    produce(chunk => { sink(chunk); done += chunk.Length; options.Progress?.Report(done); flusher?.Written(done); });
                    return;
                }
                byte* p = storage.Pointer;
                for (long at = 0; at < length; at += chunk)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    int n = (int)Math.Min(chunk, length - at);
                    sink(new ReadOnlySpan<byte>(p + at, n));
                    done += n;
                    options.Progress?.Report(done);
                    flusher?.Written(done);
                }
            }, crcIndex < 0 ? null : () => checksums.Get(crcIndex));
        }
        zip.WriteRecord(archive + "/version", Encoding.ASCII.GetBytes("3\n"));
        zip.Finish();
    }
}
