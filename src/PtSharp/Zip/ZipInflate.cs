using System.IO.Compression;

namespace PtSharp.Zip;

/// <summary>The one raw-deflate routine, used by <see cref="ZipArchiveReader"/> and the scanner.</summary>
internal static class ZipInflate
{
    /// <summary>
    /// Inflates <paramref name="compressed"/> into <paramref name="output"/> until it is full or the stream ends;
    /// returns the bytes written. <paramref name="longer"/> is true when the stream holds more than fits.
    /// </summary>
    /// <exception cref="InvalidDataException">The deflate stream is corrupt.</exception>
    public static unsafe int Into(ReadOnlySpan<byte> compressed, Span<byte> output, out bool longer)
    {
        longer = false;
        if (compressed.IsEmpty) return 0; // fixed() of an empty span is null (fuzz regression)
        fixed (byte* p = compressed)
        {
            using var raw = new UnmanagedMemoryStream(p, compressed.Length);
            using var inflate = new DeflateStream(raw, CompressionMode.Decompress);
            int total = 0;
            while (total < output.Length)
            {
                int n = inflate.Read(output[total..]);
                if (n == 0) break;
                total += n;
            }
            Span<byte> probe = stackalloc byte[1];
            longer = total == output.Length && inflate.Read(probe) != 0;
            return total;
        }
    }
}
