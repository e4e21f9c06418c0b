using PtSharp.Errors;
using PtSharp.Tensors;

namespace PtSharp.Safetensors;

internal static class TorchDTypeCheck
{
    /// <summary>Throws when a tensor of the file has no torch dtype (so it cannot be part of a state dict).</summary>
    /// <exception cref="PtFormatException">A tensor is of a dtype torch cannot hold.</exception>
    public static void RequireTorchDTypes(this SafetensorsFile st)
    {
        var bad = st.Entries.FirstOrDefault(e => e.Tensor is null);
        if (bad is not null)
            ThrowHelper.Format(PtErrorKind.Unsupported,
                bad.DType.ToTorch() is null
                    ? $"tensor '{bad.Name}' is {bad.DType.Name()}, which torch has no dtype for"
                    : $"tensor '{bad.Name}' is F4 with an odd last dimension, which torch's float4_e2m1fn_x2 (pairs of values) cannot hold",
                System.IO.Path.GetFileName(st.Path), null);
    }
}
