namespace PtSharp.Tensors;

/// <summary>Tensor element types, named after torch's dtypes.</summary>
public enum DType
{
    /// <summary>torch.float64</summary>
    Float64,
    /// <summary>torch.float32</summary>
    Float32,
    /// <summary>torch.float16</summary>
    Float16,
    /// <summary>torch.bfloat16</summary>
    BFloat16,
    /// <summary>torch.float8_e4m3fn</summary>
    Float8E4M3FN,
    /// <summary>torch.float8_e5m2</summary>
    Float8E5M2,
    /// <summary>torch.float8_e4m3fnuz</summary>
    Float8E4M3FNUZ,
    /// <summary>torch.float8_e5m2fnuz</summary>
    Float8E5M2FNUZ,
    /// <summary>torch.float8_e8m0fnu</summary>
    Float8E8M0FNU,
    /// <summary>torch.float4_e2m1fn_x2 (two values per byte)</summary>
    Float4E2M1FNx2,
    /// <summary>torch.complex32 (two float16)</summary>
    Complex32,
    /// <summary>torch.complex64 (two float32)</summary>
    Complex64,
    /// <summary>torch.complex128 (two float64)</summary>
    Complex128,
    /// <summary>torch.int8</summary>
    Int8,
    /// <summary>torch.int16</summary>
    Int16,
    /// <summary>torch.int32</summary>
    Int32,
    /// <summary>torch.int64</summary>
    Int64,
    /// <summary>torch.uint8</summary>
    UInt8,
    /// <summary>torch.uint16</summary>
    UInt16,
    /// <summary>torch.uint32</summary>
    UInt32,
    /// <summary>torch.uint64</summary>
    UInt64,
    /// <summary>torch.bool (one byte, 0 or 1)</summary>
    Bool,
    /// <summary>torch.qint8</summary>
    QInt8,
    /// <summary>torch.quint8</summary>
    QUInt8,
    /// <summary>torch.qint32</summary>
    QInt32,
    /// <summary>torch.quint4x2 (two 4-bit values per byte)</summary>
    QUInt4x2,
    /// <summary>torch.quint2x4 (four 2-bit values per byte)</summary>
    QUInt2x4,
    /// <summary>torch.bits8</summary>
    Bits8,
    /// <summary>torch.bits16</summary>
    Bits16,
    /// <summary>torch.bits1x8</summary>
    Bits1x8,
    /// <summary>torch.bits2x4</summary>
    Bits2x4,
    /// <summary>torch.bits4x2</summary>
    Bits4x2,
}

/// <summary>Facts about each <see cref="DType"/>: torch's name, storage class, element size.</summary>
public static class DTypes
{
    private sealed record Info(DType DType, string Name, int ElementSize, string? LegacyStorage, string ScalarTypeName, string[] Aliases);

    private static readonly Info[] All =
    [
        new(DType.Float64, "float64", 8, "DoubleStorage", "Double", ["double"]),
        new(DType.Float32, "float32", 4, "FloatStorage", "Float", ["float"]),
        new(DType.Float16, "float16", 2, "HalfStorage", "Half", ["half"]),
        new(DType.BFloat16, "bfloat16", 2, "BFloat16Storage", "BFloat16", []),
        new(DType.Float8E4M3FN, "float8_e4m3fn", 1, null, "Float8_e4m3fn", []),
        new(DType.Float8E5M2, "float8_e5m2", 1, null, "Float8_e5m2", []),
        new(DType.Float8E4M3FNUZ, "float8_e4m3fnuz", 1, null, "Float8_e4m3fnuz", []),
        new(DType.Float8E5M2FNUZ, "float8_e5m2fnuz", 1, null, "Float8_e5m2fnuz", []),
        new(DType.Float8E8M0FNU, "float8_e8m0fnu", 1, null, "Float8_e8m0fnu", []),
        new(DType.Float4E2M1FNx2, "float4_e2m1fn_x2", 1, null, "Float4_e2m1fn_x2", []),
        new(DType.Complex32, "complex32", 4, null, "ComplexHalf", ["chalf"]),
        new(DType.Complex64, "complex64", 8, "ComplexFloatStorage", "ComplexFloat", ["cfloat"]),
        new(DType.Complex128, "complex128", 16, "ComplexDoubleStorage", "ComplexDouble", ["cdouble"]),
        new(DType.Int8, "int8", 1, "CharStorage", "Char", []),
        new(DType.Int16, "int16", 2, "ShortStorage", "Short", ["short"]),
        new(DType.Int32, "int32", 4, "IntStorage", "Int", ["int"]),
        new(DType.Int64, "int64", 8, "LongStorage", "Long", ["long"]),
        new(DType.UInt8, "uint8", 1, "ByteStorage", "Byte", []),
        new(DType.UInt16, "uint16", 2, null, "UInt16", []),
        new(DType.UInt32, "uint32", 4, null, "UInt32", []),
        new(DType.UInt64, "uint64", 8, null, "UInt64", []),
        new(DType.Bool, "bool", 1, "BoolStorage", "Bool", []),
        new(DType.QInt8, "qint8", 1, "QInt8Storage", "QInt8", []),
        new(DType.QUInt8, "quint8", 1, "QUInt8Storage", "QUInt8", []),
        new(DType.QInt32, "qint32", 4, "QInt32Storage", "QInt32", []),
        new(DType.QUInt4x2, "quint4x2", 1, "QUInt4x2Storage", "QUInt4x2", []),
        new(DType.QUInt2x4, "quint2x4", 1, "QUInt2x4Storage", "QUInt2x4", []),
        new(DType.Bits8, "bits8", 1, null, "Bits8", []),
        new(DType.Bits16, "bits16", 2, null, "Bits16", []),
        new(DType.Bits1x8, "bits1x8", 1, null, "Bits1x8", []),
        new(DType.Bits2x4, "bits2x4", 1, null, "Bits2x4", []),
        new(DType.Bits4x2, "bits4x2", 1, null, "Bits4x2", []),
    ];

    private static readonly Dictionary<string, DType> ByName = BuildByName();
    private static readonly Dictionary<string, DType> ByStorageClass = BuildByStorageClass();

    private static Dictionary<string, DType> BuildByName()
    {
        var d = new Dictionary<string, DType>(StringComparer.Ordinal);
        foreach (var i in All) { d[i.Name] = i.DType; foreach (var a in i.Aliases) d[a] = i.DType; }
        return d;
    }

    private static Dictionary<string, DType> BuildByStorageClass()
    {
        var d = new Dictionary<string, DType>(StringComparer.Ordinal);
        foreach (var i in All)
        {
            if (i.LegacyStorage is not null) d[i.LegacyStorage] = i.DType;
            d.TryAdd(i.ScalarTypeName + "Storage", i.DType); // TorchScript's C++ pickler uses c10 scalar type names
        }
        return d;
    }

    private static Info Get(DType t) => All[(int)t];

    /// <summary>torch's name of the dtype, e.g. <c>float32</c>.</summary>
    public static string Name(this DType t) => Get(t).Name;

    /// <summary>Bytes per stored element (1 for the packed sub-byte types, whose element is one byte of packed values).</summary>
    public static int ElementSize(this DType t) => Get(t).ElementSize;

    /// <summary>The legacy storage class torch.save pickles for this dtype (<c>FloatStorage</c>), or <see langword="null"/> for dtypes saved as <c>UntypedStorage</c>.</summary>
    public static string? LegacyStorageClass(this DType t) => Get(t).LegacyStorage;

    /// <summary>True for floating-point dtypes (float, bfloat16, float8, float4).</summary>
    public static bool IsFloatingPoint(this DType t) => t is >= DType.Float64 and <= DType.Float4E2M1FNx2;

    /// <summary>True for complex dtypes.</summary>
    public static bool IsComplex(this DType t) => t is DType.Complex32 or DType.Complex64 or DType.Complex128;

    /// <summary>True for quantized dtypes.</summary>
    public static bool IsQuantized(this DType t) => t is >= DType.QInt8 and <= DType.QUInt2x4;

    /// <summary>Size of the unit that must be byte-swapped for a big-endian file (half the element for complex types).</summary>
    public static int SwapUnit(this DType t) => t.IsComplex() ? t.ElementSize() / 2 : t.ElementSize();

    /// <summary>Finds a dtype by torch's name or alias (<c>float32</c>, <c>float</c>, <c>cfloat</c>...).</summary>
    public static bool TryParse(string name, out DType dtype) => ByName.TryGetValue(name, out dtype);

    /// <summary>Finds the dtype of a storage class name such as <c>FloatStorage</c> or TorchScript's <c>Float8_e4m3fnStorage</c>.</summary>
    public static bool TryFromStorageClass(string name, out DType dtype) => ByStorageClass.TryGetValue(name, out dtype);
}
