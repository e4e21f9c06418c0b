using System.Runtime.InteropServices;
using System.Text;

namespace PtSharp.Onnx.Tests.Support;

/// <summary>Reads the little-endian float32 .npy files the oracle script saves (inputs and torch's outputs).</summary>
internal static class Npy
{
    public static (float[] Data, int[] Shape) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int headerLength = bytes[6] == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
        int start = bytes[6] == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, start, headerLength);
        Assert.Contains("'<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        int open = header.IndexOf('(', header.IndexOf("shape", StringComparison.Ordinal)), close = header.IndexOf(')', open);
        var shape = header[(open + 1)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        var data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(start + headerLength)).ToArray();
        return (data, shape);
    }
}
