using Microsoft.Win32.SafeHandles;

namespace PtSharp.IO;

/// <summary>
/// Starts flushing a file to disk while it is still being written, one flush at a time every <see cref="Every"/>
/// bytes, so the disk works while the next bytes are copied and the final flush before the rename has little left
/// to do.
/// </summary>
internal sealed class BackgroundFlush(SafeFileHandle handle)
{
    private const long Every = 128L << 20;
    private Task _running = Task.CompletedTask;
    private long _next = Every;

    /// <summary>Reports that <paramref name="total"/> bytes have been written so far.</summary>
    public void Written(long total)
    {
        if (total < _next || !_running.IsCompleted) return;
        _running.GetAwaiter().GetResult(); // surface a failed flush
        _next = total + Every;
        _running = Task.Run(() => RandomAccess.FlushToDisk(handle));
    }

    /// <summary>Waits for the flush in progress, if any, and rethrows its failure.</summary>
    public void Drain() => _running.GetAwaiter().GetResult();
}
