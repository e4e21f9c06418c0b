using PtSharp.Loading;
using PtSharp.Safetensors;

namespace PtSharp;

/// <summary>Options for <see cref="Checkpoint.Open(string, CheckpointOptions?)"/>.</summary>
public sealed class CheckpointOptions
{
    /// <summary>
    /// For a .pt file, a dotted path to the entry holding the state dict (e.g. <c>model_state_dict</c>, see
    /// <see cref="PtFile.TryGetPath"/>); <see langword="null"/> to find it (a checkpoint's model state dict, a
    /// module's <c>state_dict()</c>). Setting it for another format makes <see cref="Checkpoint.Open"/> throw
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public string? StateDictKey { get; set; }

    /// <summary>Options for reading .pt files (strict mode, limits).</summary>
    public PtLoadOptions? PtOptions { get; set; }

    /// <summary>Options for reading safetensors files.</summary>
    public SafetensorsReadOptions? SafetensorsOptions { get; set; }
}
