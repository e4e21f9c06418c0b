using PtSharp.Pickle;
using PtSharp.Writing;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Checkpoints;

/// <summary>
/// A training checkpoint (<c>{'epoch', 'model_state_dict', 'optimizer_state_dict', 'loss', ...}</c>) opened for
/// TorchSharp: scalars as .NET values, the model state dict into a module, the optimizer state into TorchSharp's
/// Adam, AdamW or SGD. Nothing in the file is executed. Dispose it to unmap the file.
/// </summary>
public sealed class TrainingCheckpoint : IDisposable
{
    private static readonly string[] ModelKeys = ["model_state_dict", "state_dict", "model", "net", "module"];
    private static readonly string[] OptimizerKeys = ["optimizer_state_dict", "optimizer", "optim", "optimizer_state"];
    private readonly PtFile _file;
    private readonly PyDict _root;

    private TrainingCheckpoint(PtFile file, PyDict root)
    {
        _file = file;
        _root = root;
        var scalars = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in root)
            if (kv.Key is string key && PyValueReader.TryScalar(kv.Value, out var v)) scalars[key] = v;
        Scalars = scalars;
    }

    /// <summary>Opens a checkpoint file (a dict at the top level).</summary>
    /// <exception cref="PtFormatException">The file cannot be read or is not a dict.</exception>
    public static TrainingCheckpoint Open(string path, PtLoadOptions? options = null)
    {
        var file = PtFile.Open(path, options);
        if (file.Root is PyDict root) return new TrainingCheckpoint(file, root);
        file.Dispose();
        throw new PtFormatException(PtErrorKind.Unsupported, $"{path} holds {PyValueReader.Describe(file.Root)}, not a checkpoint dict");
    }

    /// <summary>Top-level entries that are plain values: <c>long</c>, <c>double</c>, <c>string</c>, <c>bool</c>, null;
    /// 0-dim tensors (a <c>loss</c> saved as a tensor) as <c>double</c> or <c>long</c>.</summary>
    public IReadOnlyDictionary<string, object?> Scalars { get; }

    /// <summary>The top-level keys.</summary>
    public IEnumerable<string> Keys => _root.Keys.OfType<string>();

    /// <summary>The opened file (its whole object tree stays readable).</summary>
    public PtFile File => _file;

    /// <summary>Loads the model state dict (key <paramref name="key"/>, or the first of model_state_dict, state_dict,
    /// model, net, module) into <paramref name="module"/>, as <c>LoadPt</c>.</summary>
    /// <exception cref="StateDictMismatchException">Keys do not fit.</exception>
    /// <exception cref="KeyNotFoundException">No model entry.</exception>
    public LoadPtResult LoadModel(nn.Module module, string? key = null, bool strict = true)
    {
        var value = Find(key, ModelKeys, "model state dict");
        return StateDictLoader.Load(module, _file.StateDictOf(value), strict, new Dictionary<string, long>(), hasMetadata: true);
    }

    /// <summary>Loads the optimizer state dict (key <paramref name="key"/>, or optimizer_state_dict, optimizer, ...) into a
    /// TorchSharp Adam, AdamW or SGD built over the same parameters in the same order: step counts, moment and
    /// momentum buffers, and each param group's hyper-parameters (lr, betas, eps, weight decay, momentum, ...).</summary>
    /// <exception cref="PtFormatException">The state does not fit the optimizer (group or parameter counts).</exception>
    /// <exception cref="NotSupportedException">Another optimizer type.</exception>
    public void LoadOptimizer(OptimizerHelper optimizer, string? key = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (Find(key, OptimizerKeys, "optimizer state dict") is not PyDict saved)
            throw new PtFormatException(PtErrorKind.Unsupported, "the optimizer entry is not a dict");
        OptimizerStateIO.Load(optimizer, saved, "optimizer state");
    }

    private object? Find(string? key, string[] candidates, string what)
    {
        foreach (var k in key is null ? candidates : [key])
            if (_root.TryGetValue(k, out var v)) return v;
        throw new KeyNotFoundException($"the checkpoint has no {what} (looked for {string.Join(", ", key is null ? candidates : [key])}; keys: {string.Join(", ", Keys)})");
    }

    /// <summary>
    /// Saves a checkpoint Python resumes from: <c>{'model_state_dict': ..., 'optimizer_state_dict': ..., **extra}</c>
    /// with torch's key order and optimizer layout (so <c>model.load_state_dict</c> and <c>optimizer.load_state_dict</c>
    /// accept it). <paramref name="extra"/> values may be long, int, double, float, bool, string or null.
    /// </summary>
    /// <exception cref="NotSupportedException">An optimizer other than Adam, AdamW or SGD.</exception>
    /// <exception cref="PtWriteException">The file cannot be written.</exception>
    public static void Save(string path, nn.Module model, OptimizerHelper? optimizer = null, IEnumerable<KeyValuePair<string, object?>>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var exporter = new TensorExporter();
        var root = new PyDict();
        foreach (var (k, v) in extra ?? [])
            root[k] = v switch { int i => (long)i, float f => (double)f, _ => v };
        var sd = new PyDict("collections.OrderedDict");
        foreach (var (k, t) in TorchOrder.StateDict(model)) sd[k] = exporter.Export(t);
        root["model_state_dict"] = sd;
        if (optimizer is not null) root["optimizer_state_dict"] = OptimizerStateIO.Save(optimizer, exporter);
        PtWriter.Save(path, root);
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose() => _file.Dispose();
}
