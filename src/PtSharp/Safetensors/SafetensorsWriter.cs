using System.Buffers;
using System.Buffers.Binary;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Safetensors;

/// <summary>
/// Writes safetensors files: an 8-byte header length, a JSON header padded with spaces to a multiple of 8 bytes,
/// then every tensor's bytes, contiguous and without gaps, larger element types first so each tensor is aligned
/// to its element size. Non-contiguous tensors are written contiguously; a view that covers part of its storage
/// is written as its own bytes; tied tensors (same view of the same storage) are written once and the removed
/// names recorded in <c>__metadata__</c>. Saving to a path writes a temporary file in the target folder, verifies
/// it by reading it back, and only then replaces the target.
/// </summary>
public static partial class SafetensorsWriter
{
    /// <summary>Saves <paramref name="tensors"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to write; replaced only once the new file is complete (and verified).</param>
    /// <param name="tensors">Names and tensors, in the order the header should list them.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>What was written, including the aliases that were recorded instead of written.</returns>
    /// <exception cref="PtWriteException">
    /// A tensor cannot be held by safetensors (sparse, quantized, complex128, meta...), two tensors share a name, or
    /// the written file did not read back identically; nothing replaced the target.
    /// </exception>
    /// <exception cref="IOException">Writing failed; the previous file at <paramref name="path"/> is unchanged.</exception>
    public static SafetensorsWriteResult Save(string path, IEnumerable<NamedTensor> tensors, SafetensorsSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        options ??= new SafetensorsSaveOptions();
        var plan = SafetensorsPlan.Create(tensors, options);
        string full = AtomicFile.Write(path, temp =>
        {
            // FileShare.Read so the verifier can map the file while this handle is still open.
            using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.Read, FileOptions.None, plan.FileLength))
            {
                if (RandomAccess.GetLength(handle) != plan.FileLength) RandomAccess.SetLength(handle, plan.FileLength);
                var pieces = Pieces.Split(plan);
                var flusher = options.FlushToDisk ? new BackgroundFlush(handle) : null;
                using (var verifier = options.Verify ? new ConcurrentVerifier(temp, plan, pieces) : null)
                {
                    try
                    {
                        WritePieces(handle, plan, pieces, options, flusher, verifier);
                    }
                    finally
                    {
                        flusher?.Drain();
                    }
                    // The final flush (disk-bound) overlaps the end of the verification (memory-bound).
                    var flush = options.FlushToDisk ? Task.Run(() => RandomAccess.FlushToDisk(handle)) : Task.CompletedTask;
                    try
                    {
                        verifier?.Finish();
                    }
                    finally
                    {
                        flush.GetAwaiter().GetResult();
                    }
                }
            }
        });
        return Result(full, plan, options.Verify);
    }

    /// <summary>Writes <paramref name="tensors"/> as safetensors to a stream (no verification).</summary>
    /// <exception cref="PtWriteException">A tensor cannot be held by safetensors, or two tensors share a name; nothing was written.</exception>
    public static SafetensorsWriteResult Save(Stream stream, IEnumerable<NamedTensor> tensors, SafetensorsSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        options ??= new SafetensorsSaveOptions();
        var plan = SafetensorsPlan.Create(tensors, options);
        Write(stream, plan, options);
        return Result(null, plan, false);
    }

    private static SafetensorsWriteResult Result(string? path, SafetensorsPlan plan, bool verified) =>
        new(path, plan.FileLength, plan.DataLength, plan.Items.Select(i => i.Name).ToList(), plan.Aliases, plan.Metadata, verified);

    private static void Write(Stream stream, SafetensorsPlan plan, SafetensorsSaveOptions options)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)plan.Header.Length);
        stream.Write(length);
        stream.Write(plan.Header);
        int chunk = Math.Max(4096, options.ChunkSize);
        byte[]? scratch = null;
        long done = 0;
        try
        {
            foreach (var item in plan.DataOrder)
            {
                if (item.ByteLength == 0) continue;
                var reader = new LogicalBytes(item.Tensor);
                if (!reader.IsZeroCopy) scratch ??= ArrayPool<byte>.Shared.Rent(chunk);
                while (reader.Remaining > 0)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    var span = reader.Next(chunk, scratch);
                    stream.Write(span);
                    done += span.Length;
                    options.Progress?.Report(done);
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}

/// <summary>What <see cref="SafetensorsWriter"/> wrote.</summary>
/// <param name="Path">The full path written, or <see langword="null"/> for streams.</param>
/// <param name="FileLength">Bytes in the file.</param>
/// <param name="DataLength">Bytes of tensor data.</param>
/// <param name="Written">Names of the tensors written, in header order.</param>
/// <param name="Aliases">Names not written because they alias a written tensor: removed name → kept name.</param>
/// <param name="Metadata">The <c>__metadata__</c> written (aliases included).</param>
/// <param name="Verified">True when the file was read back and matched.</param>
public sealed record SafetensorsWriteResult(
    string? Path,
    long FileLength,
    long DataLength,
    IReadOnlyList<string> Written,
    IReadOnlyDictionary<string, string> Aliases,
    IReadOnlyDictionary<string, string> Metadata,
    bool Verified);
