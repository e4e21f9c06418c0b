using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>
/// The <c>_metadata</c> torch attaches to a state dict (<c>{prefix: {'version': n}}</c>, one entry per module,
/// which <c>load_state_dict</c> hands to each module's <c>_load_from_state_dict</c>): a saved state dict's own, or
/// the one <c>module.state_dict()</c> would build for a pickled or TorchScript module.
/// </summary>
internal static class StateDictMetadata
{
    private const int MaxDepth = 64;
    private const int MaxEntries = 100_000;
    /// <summary>Steps of one metadata walk when the caller gives no walk (entries and the cycles refused).</summary>
    internal const long MaxSteps = 10 * (long)MaxEntries;

    // nn.Module._version is 1; these torch classes raise it (a subclass inherits its base's _version), checked in
    // torch 1.13's and 2.6's sources: batchnorm.py and instancenorm.py (_NormBase: 2), ao/nn/quantized/modules/
    // linear.py (LinearPackedParams and Linear: 3), ao/nn/quantized/dynamic/modules/linear.py (Linear: 4),
    // ao/nn/quantized/dynamic/modules/rnn.py (RNNBase: 2), ao/nn/intrinsic/qat/modules/conv_fused.py (_ConvBnNd:
    // 2), ao/quantization/observer.py (UniformQuantizationObserverBase: 3). Quantized classes are pickled under
    // their defining module, torch.ao.* since 1.13 and torch.nn.* before (1.13 still defines the fused QAT ones
    // there). A ScriptModule's state_dict() reports 1 for every module, whatever its class.
    private static readonly Dictionary<string, long> Versions = BuildVersions();

    private static Dictionary<string, long> BuildVersions()
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        void Add(long version, string module, params string[] classes)
        {
            foreach (string c in classes) versions[module + "." + c] = version;
        }
        Add(2, "torch.nn.modules.batchnorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm",
            "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d");
        Add(2, "torch.nn.modules.instancenorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
            "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d");
        foreach (string root in (string[])["torch.ao.nn", "torch.nn"])
        {
            Add(3, root + ".quantized.modules.linear", "LinearPackedParams", "Linear");
            Add(3, root + ".intrinsic.quantized.modules.linear_relu", "LinearReLU", "LinearLeakyReLU", "LinearTanh");
            Add(4, root + ".quantized.dynamic.modules.linear", "Linear");
            Add(4, root + ".intrinsic.quantized.dynamic.modules.linear_relu", "LinearReLU");
            Add(2, root + ".quantized.dynamic.modules.rnn", "LSTM", "GRU");
            Add(2, root + ".intrinsic.qat.modules.conv_fused", "ConvBn1d", "ConvBnReLU1d", "ConvBn2d",
                "ConvBnReLU2d", "ConvBn3d", "ConvBnReLU3d");
        }
        foreach (string module in (string[])["torch.ao.quantization.observer", "torch.quantization.observer"])
            Add(3, module, "MinMaxObserver", "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver",
                "MovingAveragePerChannelMinMaxObserver", "HistogramObserver");
        return versions;
    }

    /// <summary>
    /// The metadata of the state dict <paramref name="value"/> gives (as <see cref="TensorNaming.StateDictOf"/>
    /// finds it), or <see langword="null"/> when torch would have none (plain dicts, tensors, lists).
    /// </summary>
    public static PyDict? Of(object? value, PtKind kind, ObjectWalk? walk = null)
    {
        walk ??= new ObjectWalk(maxSteps: MaxSteps);
        switch (value)
        {
            case PyDict d when kind == PtKind.StateDict:
                return Saved(d);
            case PyObject o when kind is PtKind.Module or PtKind.TorchScript:
                return OfModule(o, walk);
            case PyDict d when kind == PtKind.Checkpoint:
                foreach (var key in TensorNaming.ModelKeys)
                {
                    if (!d.TryGetValue(key, out var v)) continue;
                    if (v is PyDict sd && KindClassifier.IsStateDict(sd)) return Saved(sd);
                    if (v is PyObject m && (ModuleWalker.IsModule(m) || IsScriptModule(m))) return OfModule(m, walk);
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>The metadata of the state-dict view of any value (its kind classified as the view classifies it).</summary>
    public static PyDict? Of(object? value, ObjectWalk? walk = null) =>
        Of(value, value is PyObject o && IsScriptModule(o) ? PtKind.TorchScript : KindClassifier.Classify(value), walk);

    private static PyDict? Saved(PyDict stateDict) =>
        stateDict.Attributes is { } a && a.TryGetValue("_metadata", out var m) && m is PyDict metadata ? metadata : null;

    private static PyDict? OfModule(PyObject module, ObjectWalk walk)
    {
        bool script = IsScriptModule(module);
        if (!script && !ModuleWalker.IsModule(module)) return null;
        var metadata = new PyDict("collections.OrderedDict");
        Add(module, "", script, metadata, new HashSet<PyObject>(ReferenceEqualityComparer.Instance), walk, 0);
        return metadata;
    }

    // As nn.Module.state_dict: this module's entry, then each child in _modules order (a child reached twice,
    // i.e. a shared submodule, gets an entry under each name, as torch gives it).
    private static void Add(PyObject module, string prefix, bool script, PyDict metadata, HashSet<PyObject> path,
        ObjectWalk walk, int depth)
    {
        // This walk re-walks shared submodules (as torch does), so every step counts against the walk's budget.
        walk.Step(0, prefix);
        if (depth > MaxDepth || !path.Add(module)) return;
        // A submodule shared through the memo gets an entry per name, as in torch: a DAG of shared children can
        // name exponentially many entries, so the walk is bounded like every other walk over the tree.
        if (metadata.Count >= MaxEntries)
            ThrowHelper.Limit($"the module tree names more than {MaxEntries} submodules (shared submodules)");
        long version = !script && Versions.TryGetValue(module.Class?.FullName ?? "", out long v) ? v : 1;
        metadata.Add(prefix, new PyDict { { "version", version } });
        foreach (var (name, child) in Children(module, script))
            Add(child, prefix.Length == 0 ? name : prefix + "." + name, script, metadata, path, walk, depth + 1);
        path.Remove(module);
    }

    private static IEnumerable<(string Name, PyObject Child)> Children(PyObject module, bool script)
    {
        // A module restored from a non-dict state (quantized Conv2d's __getstate__ returns a tuple) has no
        // attribute dict and so no children; torch still gives it an entry under its parent.
        if (module.Attributes is not { } attributes) yield break;
        if (script)
        {
            foreach (var (key, value) in attributes)
                if (key is string n && value is PyObject child && IsScriptModule(child)) yield return (n, child);
        }
        else if (attributes.TryGetValue("_modules", out var m) && m is PyDict modules)
        {
            foreach (var (key, value) in modules)
                if (key is string n && value is PyObject child) yield return (n, child);
        }
    }

    private static bool IsScriptModule(PyObject o) =>
        o.Module.StartsWith("__torch__", StringComparison.Ordinal) && o.Attributes is { } a && a.ContainsKey("training");
}
