using System.Buffers.Binary;
using System.IO.Compression;

namespace PtSharp.Tests.Support;

/// <summary>
/// Decodes the 8-bit RGB/RGBA, non-interlaced PNGs chromium writes (zlib + the five row filters) so tests can
/// look at the pixels of a screenshot.
/// </summary>
internal sealed class PngPixels
{
    private PngPixels(int width, int height, byte[] rgba) { Width = width; Height = height; Rgba = rgba; }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Row-major RGBA bytes.</summary>
    public byte[] Rgba { get; }

    public static PngPixels Decode(byte[] png)
    {
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!png.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException("not a PNG");
        int width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        for (int pos = 8; pos + 8 <= png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0) throw new InvalidDataException("only 8-bit non-interlaced PNGs");
                channels = data[9] switch { 2 => 3, 6 => 4, _
                    => throw new InvalidDataException($"colour type {data[9]}") };
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var bytes = raw.ToArray();
        int stride = width * channels;
        var prev = new byte[stride];
        var cur = new byte[stride];
        var rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            int f = bytes[y * (stride + 1)];
            var line = bytes.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                int pred = f switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {f}"),
                };
                cur[i] = (byte)(line[i] + pred);
            }
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 4;
                rgba[o] = cur[x * channels];
                rgba[o + 1] = cur[x * channels + 1];
                rgba[o + 2] = cur[x * channels + 2];
                rgba[o + 3] = channels == 4 ? cur[x * channels + 3] : (byte)255;
            }
            (prev, cur) = (cur, prev);
        }
        return new PngPixels(width, height, rgba);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Number of distinct colours (quantised to 4 bits per channel) in the image.</summary>
    public int DistinctColours()
    {
        var set = new HashSet<int>();
        for (int i = 0; i < Rgba.Length; i += 4) set.Add((Rgba[i] >> 4) << 8 | (Rgba[i + 1] >> 4) << 4 | Rgba[i
            + 2] >> 4);
        return set.Count;
    }

    /// <summary>Fraction of pixels that differ from the most common colour (the background).</summary>
    public double NonBackgroundFraction()
    {
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < Rgba.Length; i += 4)
        {
            int key = Rgba[i] << 16 | Rgba[i + 1] << 8 | Rgba[i + 2];
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        int background = counts.Values.Max();
        return 1 - (double)background / (Width * Height);
    }

    /// <summary>True when the pixel at (x, y) is (within <paramref name="tolerance"/>) the colour #rrggbb.</summary>
    public bool Near(int x, int y, int rgb, int tolerance = 24)
    {
        int o = (y * Width + x) * 4;
        return Math.Abs(Rgba[o] - (rgb >> 16 & 255)) <= tolerance
            && Math.Abs(Rgba[o + 1] - (rgb >> 8 & 255)) <= tolerance
            && Math.Abs(Rgba[o + 2] - (rgb & 255)) <= tolerance;
    }
}
