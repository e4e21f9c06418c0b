using System.Runtime.InteropServices;

namespace PtSharp.Onnx.Conversion;

/// <summary>Little-endian row-major element bytes for ONNX <c>raw_data</c>, with the optional float32 → float16 cast.</summary>
internal static class TensorBytes
{
    public static byte[] Of(PtTensor tensor, bool toHalf)
    {
        if (tensor.IsSparse || tensor.Quantization is not null || tensor.IsMeta)
            throw new OnnxConversionException($"{tensor} is sparse, quantized or has no data; ONNX initializers need dense values");
        if (toHalf && tensor.DType == DType.Float32) return Half(tensor.ToFloatArray());
        return tensor.DType switch
        {
            DType.Float32 => Bytes(tensor.ToFloatArray()),
            DType.Float64 => Bytes(tensor.ToArray<double>()),
            DType.Float16 => Bytes(tensor.ToArray<System.Half>()),
            DType.BFloat16 => Bytes(tensor.ToArray<ushort>()),
            DType.Int64 => Bytes(tensor.ToArray<long>()),
            DType.Int32 => Bytes(tensor.ToArray<int>()),
            DType.Int16 => Bytes(tensor.ToArray<short>()),
            DType.Int8 => Bytes(tensor.ToArray<sbyte>()),
            DType.UInt8 or DType.Bool => tensor.ToArray<byte>(),
            _ => throw new OnnxConversionException($"{tensor}: dtype {tensor.DType.Name()} has no ONNX equivalent here"),
        };
    }

    public static byte[] Of(double[] values, DType dtype)
    {
        return dtype switch
        {
            DType.Float32 => Bytes(values.Select(v => (float)v).ToArray()),
            DType.Float16 => Half(values.Select(v => (float)v).ToArray()),
            DType.Float64 => Bytes(values),
            DType.Int64 => Bytes(values.Select(v => (long)v).ToArray()),
            DType.Int32 => Bytes(values.Select(v => (int)v).ToArray()),
            DType.Int8 => Bytes(values.Select(v => (sbyte)v).ToArray()),
            DType.UInt8 or DType.Bool => values.Select(v => (byte)v).ToArray(),
            _ => throw new OnnxConversionException($"constants of dtype {dtype.Name()} are not supported"),
        };
    }

    private static byte[] Half(float[] values)
    {
        var h = new System.Half[values.Length];
        for (int i = 0; i < values.Length; i++) h[i] = (System.Half)values[i];
        return Bytes(h);
    }

    private static byte[] Bytes<T>(T[] values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian");
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }
}
