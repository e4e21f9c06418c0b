using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>Raw copies between mapped file bytes and libtorch tensor memory (no managed buffer in between).</summary>
internal static unsafe class NativeCopy
{
    // Large copies run on every core in blocks: a single thread is bound by page faults on the mapped file.
    private const long Block = 16L << 20;

    /// <summary>
    /// Copies <paramref name="byteCount"/> bytes from <paramref name="source"/> into contiguous
    /// <paramref name="target"/>.
    /// </summary>
    public static void Into(Tensor target, byte* source, long byteCount)
    {
        if (byteCount == 0) return;
        Copy(Address(target), source, byteCount);
    }

    public static void Copy(byte* destination, byte* source, long byteCount)
    {
        if (byteCount <= Block)
        {
            Buffer.MemoryCopy(source, destination, byteCount, byteCount);
            return;
        }
        long blocks = (byteCount + Block - 1) / Block;
        Parallel.For(0L, blocks, i =>
        {
            long start = i * Block, n = Math.Min(Block, byteCount - start);
            Populate(source + start, n);
            Buffer.MemoryCopy(source + start, destination + start, n, n);
        });
    }

    /// <summary>
    /// Maps a range of a memory-mapped file in one call (Linux MADV_POPULATE_READ) instead of one page fault per
    /// 4 KiB page, which otherwise dominates copying a large tensor out of the page cache. Best effort: other
    /// systems and older kernels just fault pages in as usual.
    /// </summary>
    private static void Populate(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux()) return;
        const long page = 4096;
        long begin = (long)start & ~(page - 1);
        _ = madvise((nint)begin, (nuint)((long)start + length - begin), MadvPopulateRead);
    }

    private const int MadvPopulateRead = 22;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int madvise(nint address, nuint length, int advice);

    /// <summary>The address of a contiguous tensor's first element.</summary>
    public static byte* Address(Tensor t)
    {
        if (t.NumberOfElements == 0) return null;
        if (t.NumberOfElements * t.ElementSize <= int.MaxValue)
        {
            fixed (byte* p = t.bytes) return p; // a span over libtorch memory: no managed allocation
        }
        using var flat = t.view(-1);
        using var first = flat.narrow(0, 0, 1);
        fixed (byte* p = first.bytes) return p;
    }
}
