using System.Diagnostics;
using System.Runtime.InteropServices;

/// <summary>
/// The machine's copy floor: 1 GiB from one warm native buffer to another (two threads, as LoadPt's copy). A load
/// that copies the file's bytes into the parameters cannot be faster than this, whatever it does elsewhere.
/// </summary>
internal static unsafe class Floor
{
    public static void Print(int iterations)
    {
        const long size = 1L << 30, half = size / 2;
        byte* a = (byte*)NativeMemory.Alloc((nuint)size), b = (byte*)NativeMemory.Alloc((nuint)size);
        try
        {
            NativeMemory.Fill(a, (nuint)size, 1);
            NativeMemory.Fill(b, (nuint)size, 2);
            var times = new List<double>();
            for (int i = 0; i <= iterations; i++)
            {
                var sw = Stopwatch.StartNew();
                Parallel.For(0, 2, k => Buffer.MemoryCopy(a + k * half, b + k * half, half, half));
                if (i > 0) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"floor\tmemcpy 1 GiB warm native->native (2 threads)\tmedian_ms={times[times.Count / 2]:F1}");
        }
        finally
        {
            NativeMemory.Free(a);
            NativeMemory.Free(b);
        }
    }
}
