using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>Loads PyTorch weights into TorchSharp modules.</summary>
public static class PtModuleExtensions
{
    /// <summary>
    /// Loads the state dict in <paramref name="path"/> (any file <see cref="PtTorch.LoadStateDict"/> reads) into
    /// <paramref name="module"/>'s parameters and buffers, copying each tensor once from the mapped file into the
    /// module's memory. Shapes and dtypes are checked before anything is written.
    /// </summary>
    /// <param name="module">The module; its parameters keep their identity (optimizers holding them stay valid).</param>
    /// <param name="path">The file.</param>
    /// <param name="strict">When true, a missing or unexpected key is an error too (a shape or dtype mismatch always is).</param>
    /// <param name="options">Key surgery (e.g. <see cref="PtTorchOptions.StripModulePrefix"/>), checkpoint entry, load options.</param>
    /// <returns>How many entries were loaded and which keys did not match.</returns>
    /// <exception cref="StateDictMismatchException">Keys do not fit; the message lists every missing, unexpected and mismatched key.</exception>
    /// <exception cref="PtFormatException">The file cannot be read.</exception>
    public static LoadPtResult LoadPt(this nn.Module module, string path, bool strict = true, PtTorchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var sd = OpenedStateDict.Open(path, options);
        return StateDictLoader.Load(module, sd.Tensors, strict, sd.Versions, sd.HasMetadata);
    }
}
