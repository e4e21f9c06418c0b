using System.Buffers.Binary;
using System.Text;

namespace PtSharp.Tests.Safetensors;

/// <summary>Builds raw safetensors files by hand, so each validation rule can be broken on purpose.</summary>
internal static class SafetensorsBytes
{
    /// <summary>8-byte length (defaults to the JSON's length), the JSON, then <paramref name="data"/>.</summary>
    public static byte[] Build(string json, byte[]? data = null, ulong? headerLength = null, bool pad = false)
    {
        var header = Encoding.UTF8.GetBytes(json);
        if (pad && header.Length % 8 != 0) header = [.. header, .. Enumerable.Repeat((byte)' ', 8 - header.Length % 8)];
        return BuildRaw(header, data, headerLength);
    }

    public static byte[] BuildRaw(byte[] header, byte[]? data = null, ulong? headerLength = null)
    {
        data ??= [];
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), values[i]);
        return b;
    }
}
