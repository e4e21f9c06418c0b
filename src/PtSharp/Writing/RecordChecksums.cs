using System.IO.Hashing;

namespace PtSharp.Writing;

/// <summary>
/// Computes the CRC-32 of the large records on the second core, in write order, while the writer copies them into
/// the file: a 1 GiB save otherwise spends about a sixth of its time hashing on the writing thread. Reading the
/// source ahead of the writer also brings a cold mapping's pages in before the writer needs them.
/// </summary>
internal sealed unsafe class RecordChecksums : IDisposable
{
    /// <summary>Records from this size up are hashed on the worker; smaller ones cost less than the hand-off.</summary>
    public const long MinLength = 1 << 20;
    private const int Chunk = 1 << 24;

    private readonly (nint Pointer, long Length)[] _regions;
    private readonly uint[] _crcs;
    private readonly object _gate = new();
    private readonly Task _worker;
    private int _ready;
    private Exception? _failure;
    private volatile bool _stop;

    /// <param name="regions">The bytes of each record, in the order the writer will ask for them. They must stay readable until <see cref="Dispose"/>.</param>
    public RecordChecksums(IReadOnlyList<(nint Pointer, long Length)> regions)
    {
        _regions = [.. regions];
        _crcs = new uint[_regions.Length];
        _worker = _regions.Length == 0 ? Task.CompletedTask : Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    private void Run()
    {
        try
        {
            for (int i = 0; i < _regions.Length && !_stop; i++)
            {
                var crc = new Crc32();
                var (p, length) = _regions[i];
                for (long at = 0; at < length && !_stop; at += Chunk)
                    crc.Append(new ReadOnlySpan<byte>((byte*)p + at, (int)Math.Min(Chunk, length - at)));
                lock (_gate)
                {
                    _crcs[i] = crc.GetCurrentHashAsUInt32();
                    _ready = i + 1;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception ex)
        {
            lock (_gate) { _failure = ex; Monitor.PulseAll(_gate); }
        }
    }

    /// <summary>The CRC-32 of region <paramref name="index"/>, waiting for the worker if it is not done yet.</summary>
    public uint Get(int index)
    {
        lock (_gate)
        {
            while (_ready <= index)
            {
                if (_failure is not null) throw new InvalidOperationException("computing a record checksum failed", _failure);
                Monitor.Wait(_gate);
            }
            return _crcs[index];
        }
    }

    /// <summary>Stops the worker and waits for it, so it no longer reads the regions.</summary>
    public void Dispose()
    {
        _stop = true;
        _worker.Wait();
    }
}
