using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>Raw copies between mapped file bytes and libtorch tensor memory (no managed buffer in between).</summary>
internal static unsafe class NativeCopy
{
    // Tensor.bytes addresses at most int.MaxValue bytes: larger tensors are copied through 1-D slices.
    private const long Chunk = 1L << 30;

    /// <summary>Copies <paramref name="byteCount"/> bytes from <paramref name="source"/> into contiguous <paramref name="target"/>.</summary>
    public static void Into(Tensor target, byte* source, long byteCount)
    {
        if (byteCount == 0) return;
        if (byteCount <= int.MaxValue)
        {
            new ReadOnlySpan<byte>(source, (int)byteCount).CopyTo(target.bytes);
            return;
        }
        long elementSize = target.element_size();
        using var flat = target.view(-1);
        long elements = byteCount / elementSize, step = Chunk / elementSize;
        for (long start = 0; start < elements; start += step)
        {
            long n = Math.Min(step, elements - start);
            using var part = flat.narrow(0, start, n);
            new ReadOnlySpan<byte>(source + start * elementSize, checked((int)(n * elementSize))).CopyTo(part.bytes);
        }
    }

    /// <summary>The address of a contiguous tensor's first element.</summary>
    public static byte* Address(Tensor t)
    {
        if (t.NumberOfElements == 0) return null;
        using var first = t.view(-1).narrow(0, 0, 1);
        fixed (byte* p = first.bytes) return p;
    }
}
