using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>
/// Loads PyTorch files into TorchSharp and saves TorchSharp state as files PyTorch loads. Nothing from a file is
/// executed: PtSharp parses it and copies each storage once from the mapped file into libtorch memory.
/// </summary>
public static partial class PtTorch
{
    /// <summary>
    /// Reads a state dict (a <c>.pt</c>/<c>.pth</c>/<c>.bin</c> of any kind PtSharp opens, a checkpoint's model state
    /// dict, a complete pickled model's weights, a TorchScript archive's parameters, safetensors or a sharded
    /// checkpoint) as TorchSharp tensors, ready for TorchSharp's <c>module.load_state_dict(sd)</c>.
    /// </summary>
    /// <remarks>
    /// Every dtype TorchSharp has loads (float64/32/16, bfloat16, complex64/128, int8-64, uint8, bool); views keep
    /// their offset and strides over a shared storage, and tied weights are one tensor under both keys, as with
    /// <c>torch.load</c>. The caller owns the tensors (dispose them, or use a <c>torch.NewDisposeScope()</c>).
    /// </remarks>
    /// <exception cref="PtFormatException">The file cannot be read, or a tensor has a dtype or layout TorchSharp lacks.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static Dictionary<string, Tensor> LoadStateDict(string path, PtTorchOptions? options = null)
    {
        using var sd = OpenedStateDict.Open(path, options);
        return Import(sd.Tensors);
    }

    internal static Dictionary<string, Tensor> Import(IReadOnlyList<NamedTensor> tensors)
    {
        var result = new Dictionary<string, Tensor>(tensors.Count, StringComparer.Ordinal);
        using var importer = new TensorImporter();
        try
        {
            foreach (var t in tensors) result[t.Name] = importer.Import(t.Tensor, t.Name);
        }
        catch
        {
            foreach (var t in result.Values.Distinct()) t.Dispose();
            throw;
        }
        return result;
    }
}
