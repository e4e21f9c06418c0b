using PtSharp.Transforms;

namespace PtSharp.TorchSharp;

/// <summary>How <see cref="PtTorch.LoadStateDict(string, PtTorchOptions?)"/> and <c>LoadPt</c> read a file.</summary>
public sealed class PtTorchOptions
{
    /// <summary>
    /// Key surgery applied before the keys are matched (the same rules as <c>pt convert</c>), e.g.
    /// <c>StripPrefixes.Add("module.")</c> for a DataParallel/DDP save.
    /// </summary>
    public KeyTransformOptions Keys { get; } = new();

    /// <summary>Shortcut for a DataParallel / DistributedDataParallel save: strip <c>module.</c> from every key.</summary>
    public bool StripModulePrefix { get; set; }

    /// <summary>Which entry of a .pt checkpoint holds the state dict (e.g. <c>model_state_dict</c>); by default the
    /// well-known keys are tried.</summary>
    public string? Key { get; set; }

    /// <summary>Options for opening .pt files (strict weights-only mode, limits).</summary>
    public PtLoadOptions? PtOptions { get; set; }

    internal KeyTransformOptions EffectiveKeys()
    {
        if (!StripModulePrefix) return Keys;
        var k = new KeyTransformOptions { AddPrefix = Keys.AddPrefix };
        foreach (var x in Keys.Include) k.Include.Add(x);
        foreach (var x in Keys.Exclude) k.Exclude.Add(x);
        k.StripPrefixes.Add("module.");
        foreach (var x in Keys.StripPrefixes) k.StripPrefixes.Add(x);
        foreach (var x in Keys.Renames) k.Renames.Add(x);
        return k;
    }
}
