using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>PtSharp dtypes and TorchSharp scalar types.</summary>
internal static class DTypeMap
{
    public static bool TryToScalarType(DType dtype, out ScalarType type)
    {
        (bool ok, type) = dtype switch
        {
            DType.Float64 => (true, ScalarType.Float64),
            DType.Float32 => (true, ScalarType.Float32),
            DType.Float16 => (true, ScalarType.Float16),
            DType.BFloat16 => (true, ScalarType.BFloat16),
            DType.Complex64 => (true, ScalarType.ComplexFloat32),
            DType.Complex128 => (true, ScalarType.ComplexFloat64),
            DType.Int8 => (true, ScalarType.Int8),
            DType.Int16 => (true, ScalarType.Int16),
            DType.Int32 => (true, ScalarType.Int32),
            DType.Int64 => (true, ScalarType.Int64),
            DType.UInt8 => (true, ScalarType.Byte),
            DType.Bool => (true, ScalarType.Bool),
            _ => (false, ScalarType.Byte),
        };
        return ok;
    }

    /// <summary>The TorchSharp type of <paramref name="dtype"/>; a dtype TorchSharp lacks is a clear error naming the tensor.</summary>
    /// <exception cref="PtFormatException">TorchSharp has no such dtype (float8, complex32, uint16/32/64, quantized, bits).</exception>
    public static ScalarType ToScalarType(DType dtype, string name) =>
        TryToScalarType(dtype, out var t) ? t
        : throw new PtFormatException(PtErrorKind.Unsupported,
            $"tensor '{name}' is {dtype.Name()}, which TorchSharp 0.107 has no dtype for; convert it first " +
            "(e.g. pt convert --dtype float32, or DTypeCast in PtSharp)");

    public static DType ToDType(ScalarType type) => type switch
    {
        ScalarType.Float64 => DType.Float64,
        ScalarType.Float32 => DType.Float32,
        ScalarType.Float16 => DType.Float16,
        ScalarType.BFloat16 => DType.BFloat16,
        ScalarType.ComplexFloat32 => DType.Complex64,
        ScalarType.ComplexFloat64 => DType.Complex128,
        ScalarType.Int8 => DType.Int8,
        ScalarType.Int16 => DType.Int16,
        ScalarType.Int32 => DType.Int32,
        ScalarType.Int64 => DType.Int64,
        ScalarType.Byte => DType.UInt8,
        ScalarType.Bool => DType.Bool,
        _ => throw new NotSupportedException($"TorchSharp tensors of type {type} cannot be saved as .pt tensors by PtSharp"),
    };
}
