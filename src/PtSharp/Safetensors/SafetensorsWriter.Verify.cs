using System.Buffers;
using System.IO.MemoryMappedFiles;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Safetensors;

public static partial class SafetensorsWriter
{
    /// <summary>
    /// Reads the file back while it is written: a second thread maps the (preallocated) file and compares every
    /// piece with its source as soon as the writer hands it over, so the comparison overlaps the writing instead of
    /// following it. <see cref="Finish"/> then re-reads the header with the strict reader and checks that every tensor
    /// has the planned name, dtype, shape and offsets (so the compared bytes are that tensor's), and that the
    /// metadata and aliases read back as written.
    /// </summary>
    private sealed unsafe class ConcurrentVerifier : IDisposable
    {
        private readonly string _path;
        private readonly SafetensorsPlan _plan;
        private readonly List<Piece> _pieces;
        private readonly MappedFile _map;
        private readonly SemaphoreSlim _written = new(0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _worker;
        private volatile string? _failure;

        public ConcurrentVerifier(string path, SafetensorsPlan plan, List<Piece> pieces)
        {
            _path = path;
            _plan = plan;
            _pieces = pieces;
            _map = new MappedFile(path, FileShare.ReadWrite | FileShare.Delete);
            if (_map.Length != plan.FileLength)
            {
                _map.Dispose();
                throw new IOException($"{path} is {_map.Length} bytes after preallocation, {plan.FileLength} were planned");
            }
            _worker = Task.Run(Run);
        }

        /// <summary>The writer finished the next piece.</summary>
        public void Written() => _written.Release();

        public void ThrowIfFailed()
        {
            if (_failure is { } f) throw new PtWriteException("verification failed: " + f);
        }

        /// <summary>Waits for the last piece to be compared, then checks the header as a reader sees it.</summary>
        public void Finish()
        {
            _worker.GetAwaiter().GetResult();
            ThrowIfFailed();
            CheckHeader();
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { _worker.Wait(); } catch (AggregateException) { }
            _map.Dispose();
            _written.Dispose();
            _stop.Dispose();
        }

        private void Run()
        {
            byte[]? scratch = null;
            try
            {
                foreach (var piece in _pieces)
                {
                    _written.Wait(_stop.Token);
                    if (Compare(piece, ref scratch) is { } failure)
                    {
                        _failure = failure;
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
            finally
            {
                if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        private string? Compare(Piece piece, ref byte[]? scratch)
        {
            var order = _plan.DataOrder;
            long dataStart = 8 + _plan.Header.Length;
            switch (piece.Kind)
            {
                case PieceKind.Batch:
                    for (int k = piece.Item; k < piece.Item + piece.Count; k++)
                    {
                        var it = order[k];
                        if (it.ByteLength == 0) continue;
                        var source = new ReadOnlySpan<byte>(new LogicalBytes(it.Tensor).DirectPointer, (int)it.ByteLength);
                        if (!source.SequenceEqual(Written(dataStart + it.Begin, (int)it.ByteLength))) return $"the bytes of '{it.Name}' differ after reading back";
                    }
                    return null;
                case PieceKind.Slice:
                    {
                        var it = order[piece.Item];
                        var source = new ReadOnlySpan<byte>(new LogicalBytes(it.Tensor).DirectPointer + piece.Offset, (int)piece.Length);
                        return source.SequenceEqual(Written(dataStart + it.Begin + piece.Offset, (int)piece.Length)) ? null : $"the bytes of '{it.Name}' differ after reading back";
                    }
                default:
                    {
                        var it = order[piece.Item];
                        var reader = new LogicalBytes(it.Tensor);
                        scratch ??= ArrayPool<byte>.Shared.Rent(4 << 20);
                        long at = dataStart + it.Begin;
                        while (reader.Remaining > 0)
                        {
                            var chunk = reader.Next(scratch.Length, scratch);
                            if (!chunk.SequenceEqual(Written(at, chunk.Length))) return $"the bytes of '{it.Name}' differ after reading back";
                            at += chunk.Length;
                        }
                        return null;
                    }
            }
        }

        private ReadOnlySpan<byte> Written(long offset, int length) => new(_map.Pointer + offset, length);

        /// <summary>Parses the header of the written file with the strict reader's rules and compares it with the plan.</summary>
        private void CheckHeader()
        {
            SafetensorsHeader header;
            try { header = SafetensorsHeader.Parse(new ByteWindow(_map, 0, _map.Length), new SafetensorsReadOptions()); }
            catch (PtFormatException e) { throw new PtWriteException($"verification failed: the written file does not read back as safetensors: {e.Message}"); }
            if (header.Entries.Count != _plan.Items.Count)
                throw new PtWriteException($"verification failed: {header.Entries.Count} tensors read back, {_plan.Items.Count} written");
            for (int i = 0; i < _plan.Items.Count; i++)
            {
                var item = _plan.Items[i];
                var entry = header.Entries[i];
                if (entry.Name != item.Name || entry.DType != item.DType || entry.Begin != item.Begin || entry.End != item.End
                    || !entry.Shape.AsSpan().SequenceEqual(item.Shape) || entry.DType.ToTorch() != item.Tensor.DType)
                    throw new PtWriteException($"verification failed: '{item.Name}' reads back as {entry.DType.Name()}[{string.Join(", ", entry.Shape)}] at [{entry.Begin}, {entry.End})", item.Name);
            }
            if (header.Metadata.Count != _plan.Metadata.Count || _plan.Metadata.Any(kv => !header.Metadata.TryGetValue(kv.Key, out var v) || v != kv.Value))
                throw new PtWriteException("verification failed: __metadata__ differs after reading back");
            var names = header.Entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var (alias, kept) in _plan.Aliases)
                if (names.Contains(alias) || !names.Contains(kept))
                    throw new PtWriteException($"verification failed: alias '{alias}' of '{kept}' does not read back as an alias", alias);
        }
    }
}
