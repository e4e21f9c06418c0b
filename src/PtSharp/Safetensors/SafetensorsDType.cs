using PtSharp.Tensors;

namespace PtSharp.Safetensors;

/// <summary>
/// The element types the safetensors format defines (the <c>dtype</c> strings of its header), in the format's
/// own alignment order. Each member's doc gives the header spelling and the torch dtype it maps to.
/// </summary>
public enum SafetensorsDType
{
    /// <summary><c>BOOL</c>: torch.bool, one byte.</summary>
    Bool,
    /// <summary><c>F4</c>: 4-bit float e2m1 (OCP MX), two per byte; torch.float4_e2m1fn_x2 holds a pair per element.</summary>
    F4,
    /// <summary><c>F6_E2M3</c>: 6-bit float (OCP MX); no torch dtype.</summary>
    F6E2M3,
    /// <summary><c>F6_E3M2</c>: 6-bit float (OCP MX); no torch dtype.</summary>
    F6E3M2,
    /// <summary><c>U8</c>: torch.uint8.</summary>
    U8,
    /// <summary><c>I8</c>: torch.int8.</summary>
    I8,
    /// <summary><c>F8_E5M2</c>: torch.float8_e5m2.</summary>
    F8E5M2,
    /// <summary><c>F8_E4M3</c>: torch.float8_e4m3fn (finite-only e4m3, the OCP "fn" variant).</summary>
    F8E4M3,
    /// <summary><c>F8_E8M0</c>: torch.float8_e8m0fnu (MX scale).</summary>
    F8E8M0,
    /// <summary><c>F8_E4M3FNUZ</c>: torch.float8_e4m3fnuz.</summary>
    F8E4M3Fnuz,
    /// <summary><c>F8_E5M2FNUZ</c>: torch.float8_e5m2fnuz.</summary>
    F8E5M2Fnuz,
    /// <summary><c>I16</c>: torch.int16.</summary>
    I16,
    /// <summary><c>U16</c>: torch.uint16.</summary>
    U16,
    /// <summary><c>F16</c>: torch.float16.</summary>
    F16,
    /// <summary><c>BF16</c>: torch.bfloat16.</summary>
    BF16,
    /// <summary><c>I32</c>: torch.int32.</summary>
    I32,
    /// <summary><c>U32</c>: torch.uint32.</summary>
    U32,
    /// <summary><c>F32</c>: torch.float32.</summary>
    F32,
    /// <summary><c>C64</c>: torch.complex64 (two float32).</summary>
    C64,
    /// <summary><c>F64</c>: torch.float64.</summary>
    F64,
    /// <summary><c>I64</c>: torch.int64.</summary>
    I64,
    /// <summary><c>U64</c>: torch.uint64.</summary>
    U64,
}

/// <summary>Facts about each <see cref="SafetensorsDType"/>: header spelling, bits per element, torch dtype.</summary>
public static class SafetensorsDTypes
{
    private sealed record Info(SafetensorsDType Type, string Name, int Bits, DType? Torch);

    private static readonly Info[] All =
    [
        new(SafetensorsDType.Bool, "BOOL", 8, DType.Bool),
        new(SafetensorsDType.F4, "F4", 4, DType.Float4E2M1FNx2),
        new(SafetensorsDType.F6E2M3, "F6_E2M3", 6, null),
        new(SafetensorsDType.F6E3M2, "F6_E3M2", 6, null),
        new(SafetensorsDType.U8, "U8", 8, DType.UInt8),
        new(SafetensorsDType.I8, "I8", 8, DType.Int8),
        new(SafetensorsDType.F8E5M2, "F8_E5M2", 8, DType.Float8E5M2),
        new(SafetensorsDType.F8E4M3, "F8_E4M3", 8, DType.Float8E4M3FN),
        new(SafetensorsDType.F8E8M0, "F8_E8M0", 8, DType.Float8E8M0FNU),
        new(SafetensorsDType.F8E4M3Fnuz, "F8_E4M3FNUZ", 8, DType.Float8E4M3FNUZ),
        new(SafetensorsDType.F8E5M2Fnuz, "F8_E5M2FNUZ", 8, DType.Float8E5M2FNUZ),
        new(SafetensorsDType.I16, "I16", 16, DType.Int16),
        new(SafetensorsDType.U16, "U16", 16, DType.UInt16),
        new(SafetensorsDType.F16, "F16", 16, DType.Float16),
        new(SafetensorsDType.BF16, "BF16", 16, DType.BFloat16),
        new(SafetensorsDType.I32, "I32", 32, DType.Int32),
        new(SafetensorsDType.U32, "U32", 32, DType.UInt32),
        new(SafetensorsDType.F32, "F32", 32, DType.Float32),
        new(SafetensorsDType.C64, "C64", 64, DType.Complex64),
        new(SafetensorsDType.F64, "F64", 64, DType.Float64),
        new(SafetensorsDType.I64, "I64", 64, DType.Int64),
        new(SafetensorsDType.U64, "U64", 64, DType.UInt64),
    ];

    private static readonly Dictionary<string, SafetensorsDType> ByName = All.ToDictionary(i => i.Name, i => i.Type, StringComparer.Ordinal);
    private static readonly Dictionary<DType, SafetensorsDType> ByTorch = All.Where(i => i.Torch is not null).ToDictionary(i => i.Torch!.Value, i => i.Type);

    private static Info Get(SafetensorsDType t) => All[(int)t];

    /// <summary>The header spelling, e.g. <c>F8_E4M3</c>.</summary>
    public static string Name(this SafetensorsDType t) => Get(t).Name;

    /// <summary>Bits per element (4 for <c>F4</c>, 6 for the F6 types).</summary>
    public static int BitSize(this SafetensorsDType t) => Get(t).Bits;

    /// <summary>The torch dtype the type maps to, or <see langword="null"/> for the F6 types, which torch does not have.</summary>
    public static DType? ToTorch(this SafetensorsDType t) => Get(t).Torch;

    /// <summary>Parses a header spelling (case-sensitive, as the format defines it).</summary>
    public static bool TryParse(string name, out SafetensorsDType type) => ByName.TryGetValue(name, out type);

    /// <summary>
    /// The safetensors type of a torch dtype. False for dtypes the format cannot hold: complex32/complex128,
    /// quantized types and the bits types.
    /// </summary>
    public static bool TryFromTorch(DType dtype, out SafetensorsDType type) => ByTorch.TryGetValue(dtype, out type);
}
