using PtSharp.Tensors;

namespace PtSharp.Torch;

/// <summary>
/// The globals <c>torch.load(weights_only=True)</c> accepts by default in torch ≥ 2.6 (torch/_weights_only_unpickler.py,
/// <c>_get_allowed_globals</c>), used by strict mode. Names are compared after the Python 2 renames
/// (<c>__builtin__</c> → <c>builtins</c>, <c>copy_reg</c> → <c>copyreg</c>).
/// </summary>
public static class WeightsOnlyAllowlist
{
    private static readonly HashSet<string> Exact = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "collections.Counter",
        "torch.nn.parameter.Parameter", "torch.Tensor", "torch.Size", "torch.device",
        "torch.serialization._get_layout",
        "_codecs.encode", "builtins.bytearray", "builtins.set", "builtins.complex",
        "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch.UntypedStorage", "torch.TypedStorage",
        "torch.per_tensor_affine", "torch.per_tensor_symmetric", "torch.per_channel_affine",
        "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_meta_tensor_no_storage",
        "torch._utils._rebuild_nested_tensor", "torch._utils._rebuild_wrapper_subclass",
        "torch._utils._rebuild_device_tensor_from_numpy", "torch._utils._rebuild_device_tensor_from_cpu_tensor",
        "torch._tensor._rebuild_from_type_v2",
    };

    private static readonly string[] TensorClassPrefixes = ["Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool", "ComplexDouble", "ComplexFloat"];

    /// <summary>Modules refused even when a caller allowlists one of their names, as torch does.</summary>
    public static IReadOnlySet<string> BlockedModules { get; } = new HashSet<string>(StringComparer.Ordinal) { "sys", "os", "posix", "nt" };

    /// <summary>True when torch's default weights-only allowlist admits <paramref name="module"/>.<paramref name="name"/>.</summary>
    public static bool IsAllowedByDefault(string module, string name)
    {
        string full = module + "." + name;
        if (Exact.Contains(full)) return true;
        if (module == "torch" && (DTypes.TryParse(name, out _) || IsSubByteDType(name))) return true;
        if ((module == "torch" || module == "torch.cuda") && name.EndsWith("Storage", StringComparison.Ordinal)) return true;
        if (module is "torch" or "torch.cuda" or "torch.sparse" or "torch.cuda.sparse" && name.EndsWith("Tensor", StringComparison.Ordinal)
            && TensorClassPrefixes.Contains(name[..^"Tensor".Length])) return true;
        return false;
    }

    private static bool IsSubByteDType(string name) =>
        name.Length == 5 && (name.StartsWith("uint", StringComparison.Ordinal) && name[4] is >= '1' and <= '7')
        || name.Length == 4 && name.StartsWith("int", StringComparison.Ordinal) && name[3] is >= '1' and <= '7';
}
