using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Safetensors;

public static partial class SafetensorsWriter
{
    private const int PieceSize = 8 << 20;
    private const long SmallTensor = PieceSize / 8;

    /// <summary>
    /// One positioned write: a run of small zero-copy tensors (batched into one buffer), an 8 MiB slice of a large
    /// zero-copy tensor, or a whole gathered (non-contiguous or lazily negated) tensor.
    /// </summary>
    private readonly record struct Piece(PieceKind Kind, int Item, int Count, long Offset, long Length);

    private enum PieceKind { Batch, Slice, Gather }

    private static class Pieces
    {
        public static List<Piece> Split(SafetensorsPlan plan)
        {
            var pieces = new List<Piece>();
            var order = plan.DataOrder;
            for (int i = 0; i < order.Count;)
            {
                var item = order[i];
                if (IsSmallDirect(item))
                {
                    int start = i;
                    long total = 0;
                    while (i < order.Count && total < PieceSize && IsSmallDirect(order[i])) total += order[i++].ByteLength;
                    if (total > 0) pieces.Add(new Piece(PieceKind.Batch, start, i - start, 0, total));
                    continue;
                }
                if (!LogicalBytes.IsDirect(item.Tensor)) pieces.Add(new Piece(PieceKind.Gather, i, 1, 0, item.ByteLength));
                else
                    for (long at = 0; at < item.ByteLength; at += PieceSize)
                        pieces.Add(new Piece(PieceKind.Slice, i, 1, at, Math.Min(PieceSize, item.ByteLength - at)));
                i++;
            }
            return pieces;
        }

        private static bool IsSmallDirect(SafetensorsPlan.Item item) =>
            item.ByteLength == 0 || item.ByteLength < SmallTensor && LogicalBytes.IsDirect(item.Tensor);

        /// <summary>Where the piece starts in the file.</summary>
        public static long FileOffset(SafetensorsPlan plan, Piece piece) => 8 + plan.Header.Length + plan.DataOrder[piece.Item].Begin + piece.Offset;
    }

    /// <summary>
    /// Writes the header and the data section with positioned writes straight from the mapped sources. One thread:
    /// writes to one file serialize on its inode lock, and measured on ext4 parallel writers were slower than one.
    /// Each written piece is handed to the verifier, which checks it on another core while the next is written.
    /// </summary>
    private static unsafe void WritePieces(SafeFileHandle handle, SafetensorsPlan plan, List<Piece> pieces, SafetensorsSaveOptions options,
        BackgroundFlush? flusher, ConcurrentVerifier? verifier)
    {
        var head = new byte[8 + plan.Header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)plan.Header.Length);
        plan.Header.CopyTo(head, 8);
        RandomAccess.Write(handle, head, 0);
        int chunk = Math.Max(4096, options.ChunkSize);
        var order = plan.DataOrder;
        long done = 0;
        byte[]? buffer = null;
        using var prefault = new CancellationTokenSource();
        var toucher = Task.Run(() => Prefault(plan, pieces, prefault.Token));
        try
        {
            foreach (var piece in pieces)
            {
                verifier?.ThrowIfFailed();
                long fileOffset = Pieces.FileOffset(plan, piece);
                switch (piece.Kind)
                {
                    case PieceKind.Batch:
                        buffer ??= ArrayPool<byte>.Shared.Rent(PieceSize + (int)SmallTensor);
                        int at = 0;
                        for (int k = piece.Item; k < piece.Item + piece.Count; k++)
                        {
                            var it = order[k];
                            if (it.ByteLength == 0) continue;
                            new ReadOnlySpan<byte>(new LogicalBytes(it.Tensor).DirectPointer, (int)it.ByteLength).CopyTo(buffer.AsSpan(at));
                            at += (int)it.ByteLength;
                        }
                        RandomAccess.Write(handle, buffer.AsSpan(0, at), fileOffset);
                        break;
                    case PieceKind.Slice:
                        RandomAccess.Write(handle, new ReadOnlySpan<byte>(new LogicalBytes(order[piece.Item].Tensor).DirectPointer + piece.Offset, (int)piece.Length), fileOffset);
                        break;
                    default:
                        var reader = new LogicalBytes(order[piece.Item].Tensor);
                        buffer ??= ArrayPool<byte>.Shared.Rent(PieceSize + (int)SmallTensor);
                        long position = fileOffset;
                        while (reader.Remaining > 0)
                        {
                            var span = reader.Next(Math.Min(chunk, buffer.Length), buffer);
                            RandomAccess.Write(handle, span, position);
                            position += span.Length;
                        }
                        break;
                }
                done += piece.Length;
                options.Cancellation.ThrowIfCancellationRequested();
                options.Progress?.Report(done);
                flusher?.Written(done);
                verifier?.Written();
            }
        }
        finally
        {
            prefault.Cancel();
            toucher.Wait();
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Touches one byte of every page of the zero-copy sources, ahead of the writer and on another core, so the
    /// writer's copies find the mapped file's pages already mapped instead of taking a page fault per page run
    /// (measured: a 1 GiB write from a cold mapping spends about a third of its time faulting).
    /// </summary>
    private static unsafe void Prefault(SafetensorsPlan plan, List<Piece> pieces, CancellationToken stop)
    {
        const int Page = 4096;
        long sink = 0;
        foreach (var piece in pieces)
        {
            if (stop.IsCancellationRequested) return;
            if (piece.Kind != PieceKind.Slice) continue;
            byte* p = new LogicalBytes(plan.DataOrder[piece.Item].Tensor).DirectPointer + piece.Offset;
            for (long at = 0; at < piece.Length; at += Page) sink += p[at];
        }
        GC.KeepAlive(sink);
    }
}
