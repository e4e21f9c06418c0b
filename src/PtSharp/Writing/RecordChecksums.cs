using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using PtSharp.Errors;

namespace PtSharp.Writing;

/// <summary>
/// Computes the CRC-32 of the large records on the second core, in write order, while the writer copies them into
/// the file: a 1 GiB save otherwise spends about a sixth of its time hashing on the writing thread. Reading the
/// source ahead of the writer also brings a cold mapping's pages in before the writer needs them.
/// </summary>
/// <remarks>
/// A record the kernel copies file to file (<see cref="IO.KernelCopy"/>) is hashed from the same source file with
/// positioned reads, not through the mapping: the kernel and this thread read the same page-cache pages at the same
/// time (the disk is read once), and a source truncated under the writer shows up as a short read, a typed error,
/// where touching the mapping past the file's end would kill the process with SIGBUS.
/// </remarks>
internal sealed unsafe class RecordChecksums : IDisposable
{
    /// <summary>Records from this size up are hashed on the worker; smaller ones cost less than the hand-off.</summary>
    public const long MinLength = 1 << 20;
    private const int Chunk = 1 << 24;
    /// <summary>Positioned reads of a source file go through a buffer that stays in the cache: 1 MiB.</summary>
    private const int ReadChunk = 1 << 20;

    private readonly Region[] _regions;
    private readonly uint[] _crcs;
    private readonly object _gate = new();
    private readonly Task _worker;
    private int _ready;
    private Exception? _failure;
    private volatile bool _stop;

    /// <summary>
    /// A record's bytes: in memory at <paramref name="Pointer"/>, or in <paramref name="File"/> at
    /// <paramref name="FileOffset"/>; <paramref name="Name"/> (the storage key) names it in errors.
    /// </summary>
    public readonly record struct Region(nint Pointer, long Length, SafeFileHandle? File = null, long FileOffset = 0,
        string? Name = null);

    /// <param name="regions">
    /// The bytes of each record, in the order the writer will ask for them. They must stay readable until
    /// <see cref="Dispose"/>.
    /// </param>
    public RecordChecksums(IReadOnlyList<Region> regions)
    {
        _regions = [.. regions];
        _crcs = new uint[_regions.Length];
        _worker = _regions.Length == 0
            ? Task.CompletedTask
            : Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    private void Run()
    {
        byte[]? buffer = null;
        try
        {
            for (int i = 0; i < _regions.Length && !_stop; i++)
            {
                var crc = new Crc32();
                var region = _regions[i];
                long length = region.Length;
                if (region.File is { } file)
                {
                    buffer ??= GC.AllocateUninitializedArray<byte>(ReadChunk);
                    for (long at = 0; at < length && !_stop;)
                    {
                        var into = buffer.AsSpan(0, (int)Math.Min(ReadChunk, length - at));
                        int n = RandomAccess.Read(file, into, region.FileOffset + at);
                        if (n == 0) throw Truncated(region, at);
                        crc.Append(buffer.AsSpan(0, n));
                        at += n;
                    }
                }
                else
                    for (long at = 0; at < length && !_stop; at += Chunk)
                        crc.Append(new ReadOnlySpan<byte>((byte*)region.Pointer + at,
                            (int)Math.Min(Chunk, length - at)));
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

    /// <summary>
    /// The error for a source file that ends inside a storage it held when it was opened. Named by the storage key:
    /// a record's name would be read from the source's central directory, which may be gone with the cut.
    /// </summary>
    public static PtFormatException Truncated(Region region, long at) => new(PtErrorKind.Truncated,
        $"the source file ends {at} bytes into the {region.Length}-byte storage '{region.Name}' (at file offset " +
        $"{region.FileOffset}): it was truncated after it was opened; nothing was written", region.Name,
        region.FileOffset + at);

    /// <summary>The CRC-32 of region <paramref name="index"/>, waiting for the worker if it is not done yet.</summary>
    public uint Get(int index)
    {
        lock (_gate)
        {
            while (_ready <= index)
            {
                if (_failure is PtFormatException format) throw format;
                if (_failure is not null)
                    throw new InvalidOperationException("computing a record checksum failed", _failure);
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
