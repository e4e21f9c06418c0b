namespace PtSharp.Loading;

/// <summary>The container a .pt file uses.</summary>
public enum PtFormat
{
    /// <summary>The zip format of <c>torch.save</c> (torch ≥ 1.6).</summary>
    Zip,
    /// <summary>The legacy stream of pickles (torch &lt; 1.6, or <c>_use_new_zipfile_serialization=False</c>).</summary>
    Legacy,
    /// <summary>The oldest tar-based format (torch ≤ 0.3).</summary>
    LegacyTar,
    /// <summary>A TorchScript archive from <c>torch.jit.save</c>.</summary>
    TorchScript,
}

/// <summary>What the file's top-level object is.</summary>
public enum PtKind
{
    /// <summary>A mapping of names to tensors.</summary>
    StateDict,
    /// <summary>A dict holding state dicts, modules or tensors together with other values (epoch, optimizer, ...).</summary>
    Checkpoint,
    /// <summary>A pickled <c>nn.Module</c>.</summary>
    Module,
    /// <summary>A TorchScript module.</summary>
    TorchScript,
    /// <summary>A single tensor.</summary>
    Tensor,
    /// <summary>Anything else (lists, tuples, plain values).</summary>
    Object,
}

/// <summary>Names used in JSON output and the CLI.</summary>
public static class PtNames
{
    /// <summary>The format's name: <c>zip</c>, <c>legacy</c>, <c>legacy-tar</c> or <c>torchscript</c>.</summary>
    public static string Name(this PtFormat f) => f switch
    {
        PtFormat.Zip => "zip",
        PtFormat.Legacy => "legacy",
        PtFormat.LegacyTar => "legacy-tar",
        _ => "torchscript",
    };

    /// <summary>The kind's name: <c>state_dict</c>, <c>checkpoint</c>, <c>module</c>, <c>torchscript</c>, <c>tensor</c> or <c>object</c>.</summary>
    public static string Name(this PtKind k) => k switch
    {
        PtKind.StateDict => "state_dict",
        PtKind.Checkpoint => "checkpoint",
        PtKind.Module => "module",
        PtKind.TorchScript => "torchscript",
        PtKind.Tensor => "tensor",
        _ => "object",
    };
}
