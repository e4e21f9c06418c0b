using PtSharp.Onnx.Proto;

namespace PtSharp.Onnx.Conversion;

/// <summary>Element types: torch ScalarType codes (as TorchScript prints them), PtSharp dtypes, ONNX data types.</summary>
internal static class OnnxTypes
{
    public static int ToOnnx(DType dtype) => dtype switch
    {
        DType.Float32 => (int)TensorProto.Types.DataType.Float,
        DType.Float16 => (int)TensorProto.Types.DataType.Float16,
        DType.BFloat16 => (int)TensorProto.Types.DataType.Bfloat16,
        DType.Float64 => (int)TensorProto.Types.DataType.Double,
        DType.Int64 => (int)TensorProto.Types.DataType.Int64,
        DType.Int32 => (int)TensorProto.Types.DataType.Int32,
        DType.Int16 => (int)TensorProto.Types.DataType.Int16,
        DType.Int8 => (int)TensorProto.Types.DataType.Int8,
        DType.UInt8 => (int)TensorProto.Types.DataType.Uint8,
        DType.Bool => (int)TensorProto.Types.DataType.Bool,
        _ => throw new OnnxConversionException($"dtype {dtype.Name()} has no ONNX equivalent here"),
    };

    public static DType? FromOnnx(int type) => (TensorProto.Types.DataType)type switch
    {
        TensorProto.Types.DataType.Float => DType.Float32,
        TensorProto.Types.DataType.Float16 => DType.Float16,
        TensorProto.Types.DataType.Bfloat16 => DType.BFloat16,
        TensorProto.Types.DataType.Double => DType.Float64,
        TensorProto.Types.DataType.Int64 => DType.Int64,
        TensorProto.Types.DataType.Int32 => DType.Int32,
        TensorProto.Types.DataType.Int16 => DType.Int16,
        TensorProto.Types.DataType.Int8 => DType.Int8,
        TensorProto.Types.DataType.Uint8 => DType.UInt8,
        TensorProto.Types.DataType.Bool => DType.Bool,
        _ => null,
    };

    /// <summary>torch's <c>c10::ScalarType</c> numbering, which TorchScript code uses for dtypes (<c>torch.to(x, 6)</c>).</summary>
    public static DType FromScalarType(long code) => code switch
    {
        0 => DType.UInt8,
        1 => DType.Int8,
        2 => DType.Int16,
        3 => DType.Int32,
        4 => DType.Int64,
        5 => DType.Float16,
        6 => DType.Float32,
        7 => DType.Float64,
        11 => DType.Bool,
        15 => DType.BFloat16,
        _ => throw new OnnxConversionException($"torch scalar type {code} is not supported"),
    };

    public static long ToScalarType(DType dtype) => dtype switch
    {
        DType.UInt8 => 0, DType.Int8 => 1, DType.Int16 => 2, DType.Int32 => 3, DType.Int64 => 4,
        DType.Float16 => 5, DType.Float32 => 6, DType.Float64 => 7, DType.Bool => 11, DType.BFloat16 => 15,
        _ => throw new OnnxConversionException($"dtype {dtype.Name()} is not supported"),
    };
}
