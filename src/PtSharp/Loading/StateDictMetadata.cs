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

    // nn.Module._version is 1; these torch classes raise it (torch/nn/modules/batchnorm.py, instancenorm.py:
    // _NormBase._version = 2). A ScriptModule's state_dict() reports 1 for every module, whatever its class.
    private static readonly HashSet<string> VersionTwo = new(StringComparer.Ordinal)
    {
        "torch.nn.modules.batchnorm.BatchNorm1d", "torch.nn.modules.batchnorm.BatchNorm2d",
        "torch.nn.modules.batchnorm.BatchNorm3d", "torch.nn.modules.batchnorm.SyncBatchNorm",
        "torch.nn.modules.batchnorm.LazyBatchNorm1d", "torch.nn.modules.batchnorm.LazyBatchNorm2d",
        "torch.nn.modules.batchnorm.LazyBatchNorm3d", "torch.nn.modules.instancenorm.InstanceNorm1d",
        "torch.nn.modules.instancenorm.InstanceNorm2d", "torch.nn.modules.instancenorm.InstanceNorm3d",
        "torch.nn.modules.instancenorm.LazyInstanceNorm1d", "torch.nn.modules.instancenorm.LazyInstanceNorm2d",
        "torch.nn.modules.instancenorm.LazyInstanceNorm3d",
    };

    /// <summary>
    /// The metadata of the state dict <paramref name="value"/> gives (as <see cref="TensorNaming.StateDictOf"/>
    /// finds it), or <see langword="null"/> when torch would have none (plain dicts, tensors, lists).
    /// </summary>
    public static PyDict? Of(object? value, PtKind kind)
    {
        switch (value)
        {
            case PyDict d when kind == PtKind.StateDict:
                return Saved(d);
            case PyObject o when kind is PtKind.Module or PtKind.TorchScript:
                return OfModule(o);
            case PyDict d when kind == PtKind.Checkpoint:
                foreach (var key in TensorNaming.ModelKeys)
                {
                    if (!d.TryGetValue(key, out var v)) continue;
                    if (v is PyDict sd && KindClassifier.IsStateDict(sd)) return Saved(sd);
                    if (v is PyObject m && (ModuleWalker.IsModule(m) || IsScriptModule(m))) return OfModule(m);
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>The metadata of the state-dict view of any value (its kind classified as the view classifies it).</summary>
    public static PyDict? Of(object? value) =>
        Of(value, value is PyObject o && IsScriptModule(o) ? PtKind.TorchScript : KindClassifier.Classify(value));

    private static PyDict? Saved(PyDict stateDict) =>
        stateDict.Attributes is { } a && a.TryGetValue("_metadata", out var m) && m is PyDict metadata ? metadata : null;

    private static PyDict? OfModule(PyObject module)
    {
        bool script = IsScriptModule(module);
        if (!script && !ModuleWalker.IsModule(module)) return null;
        var metadata = new PyDict("collections.OrderedDict");
        Add(module, "", script, metadata, new HashSet<PyObject>(ReferenceEqualityComparer.Instance), 0);
        return metadata;
    }

    // As nn.Module.state_dict: this module's entry, then each child in _modules order (a child reached twice,
    // i.e. a shared submodule, gets an entry under each name, as torch gives it).
    private static void Add(PyObject module, string prefix, bool script, PyDict metadata, HashSet<PyObject> path, int depth)
    {
        if (depth > MaxDepth || !path.Add(module)) return;
        long version = !script && VersionTwo.Contains(module.Class?.FullName ?? "") ? 2 : 1;
        metadata.Add(prefix, new PyDict { { "version", version } });
        foreach (var (name, child) in Children(module, script))
            Add(child, prefix.Length == 0 ? name : prefix + "." + name, script, metadata, path, depth + 1);
        path.Remove(module);
    }

    private static IEnumerable<(string Name, PyObject Child)> Children(PyObject module, bool script)
    {
        var attributes = module.Attributes!;
        if (script)
        {
            foreach (var (key, value) in attributes)
                if (key is string n && value is PyObject child && IsScriptModule(child)) yield return (n, child);
        }
        else if (attributes.TryGetValue("_modules", out var m) && m is PyDict modules)
        {
            foreach (var (key, value) in modules)
                if (key is string n && value is PyObject child && ModuleWalker.IsModule(child)) yield return (n, child);
        }
    }

    private static bool IsScriptModule(PyObject o) =>
        o.Module.StartsWith("__torch__", StringComparison.Ordinal) && o.Attributes is { } a && a.ContainsKey("training");
}
