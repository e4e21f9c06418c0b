using PtSharp.Writing;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

public static partial class PtTorch
{
    /// <summary>
    /// Saves a module's parameters and persistent buffers as a zip <c>.pt</c> state dict in the key order Python's
    /// <c>model.state_dict()</c> has (TorchSharp's own <c>state_dict()</c> lists every parameter before every buffer),
    /// so <c>model.load_state_dict(torch.load(path, weights_only=True))</c> works in Python. Otherwise as
    /// <see cref="Save(IEnumerable{KeyValuePair{string, Tensor}}, string, PtSaveOptions?)"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">A tensor has a type PtSharp cannot write.</exception>
    /// <exception cref="PtWriteException">The file cannot be written.</exception>
    public static void Save(nn.Module module, string path, PtSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(TorchOrder.StateDict(module), path, options);
    }

    /// <summary>
    /// Saves TorchSharp tensors (e.g. <c>model.state_dict()</c>) in the given order as a zip <c>.pt</c> state dict
    /// that <c>torch.load(path, weights_only=True)</c> reads: same keys, same dtypes, one storage per tensor object
    /// (a tensor under two keys, as tied weights are, is written once). The file is written to a temporary name
    /// and renamed. Tensor bytes go from libtorch memory to the file without a managed copy.
    /// </summary>
    /// <exception cref="NotSupportedException">A tensor has a type PtSharp cannot write.</exception>
    /// <exception cref="PtWriteException">The file cannot be written.</exception>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> stateDict, string path, PtSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(path);
        using var exporter = new TensorExporter();
        var entries = stateDict.Select(kv => new NamedTensor(kv.Key, exporter.Export(kv.Value))).ToList();
        PtWriter.SaveStateDict(path, entries, options);
    }
}
