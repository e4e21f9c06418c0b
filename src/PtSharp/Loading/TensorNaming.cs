using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>
/// Names tensors by their path from the root object (keys joined with '.'), using <c>state_dict()</c> keys inside
/// modules, and derives a file's state-dict view.
/// </summary>
internal static class TensorNaming
{
    internal static readonly string[] ModelKeys = ["state_dict", "model_state_dict", "model", "module", "net", "network", "model_state", "weights", "params"];

    public static IReadOnlyList<NamedTensor> Collect(PtFile file)
    {
        var output = new List<NamedTensor>(file.Storages.Count); // usually one tensor per storage
        var walker = new Walker(file, output);
        walker.Visit(file.Root, "", 0);
        return output;
    }

    public static IReadOnlyList<NamedTensor> StateDict(PtFile file) => StateDictOf(file, file.Root, file.Kind);

    /// <summary>The state-dict view of any value inside <paramref name="file"/> (see <see cref="PtFile.StateDict"/>).</summary>
    public static IReadOnlyList<NamedTensor> StateDictOf(PtFile file, object? value, PtKind? kind = null)
    {
        var output = new List<NamedTensor>();
        var walker = new Walker(file, output);
        var k = kind ?? (value is PyObject so && walker.IsScriptModule(so) ? PtKind.TorchScript : KindClassifier.Classify(value));
        switch (value)
        {
            case PyDict d when k == PtKind.StateDict:
                foreach (var kv in d) if (kv.Value is PtTensor t) output.Add(new((string)kv.Key!, t));
                return output;
            case PyObject o when k is PtKind.Module or PtKind.TorchScript:
                walker.Visit(o, "", 0);
                return output;
            case PyDict d when k == PtKind.Checkpoint:
                foreach (var key in ModelKeys)
                {
                    if (!d.TryGetValue(key, out var v)) continue;
                    if (v is PyDict sd && KindClassifier.IsStateDict(sd))
                    {
                        foreach (var kv in sd) if (kv.Value is PtTensor t) output.Add(new((string)kv.Key!, t));
                        return output;
                    }
                    if (v is PyObject m && (ModuleWalker.IsModule(m) || walker.IsScriptModule(m)))
                    {
                        walker.Visit(m, "", 0);
                        return output;
                    }
                }
                break;
        }
        if (ReferenceEquals(value, file.Root)) return file.Tensors;
        walker.Visit(value, "", 0);
        return output;
    }

    private sealed class Walker(PtFile file, List<NamedTensor> output)
    {
        private readonly ObjectWalk _walk = new(file.Options.PickleLimits, file.RootRecord);
        private TorchScriptClasses? _script;

        private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

        public bool IsScriptModule(PyObject o) =>
            o.Module.StartsWith("__torch__", StringComparison.Ordinal) && o.Attributes is { } a && a.ContainsKey("training");

        public void Visit(object? value, string prefix, int depth)
        {
            _walk.Step(depth, prefix);
            switch (value)
            {
                case PtTensor t:
                    output.Add(new(prefix, t));
                    break;
                case PyDict d when _walk.FirstReach(d):
                    foreach (var kv in d.ItemSpan)
                    {
                        string key = ModuleWalker.Key(kv.Key);
                        if (_walk.MustVisit<PtTensor>(kv.Value)) Visit(kv.Value, Join(prefix, key), depth + 1);
                        else _walk.Step(depth + 1, prefix, key);
                    }
                    break;
                case PyList l when _walk.FirstReach(l):
                    for (int i = 0; i < l.Count; i++) Item(l[i], prefix, i, depth + 1);
                    break;
                case PyTuple t when _walk.FirstReach(t):
                    for (int i = 0; i < t.Count; i++) Item(t[i], prefix, i, depth + 1);
                    break;
                case PyObject o when _walk.FirstReach(o):
                    if (ModuleWalker.IsModule(o)) ModuleWalker.StateDict(o, prefix.Length == 0 ? "" : prefix + ".", output, _walk, depth + 1);
                    else if (IsScriptModule(o)) ScriptStateDict(o, prefix.Length == 0 ? "" : prefix + ".", depth + 1);
                    else if (o.Module == "torch" && o.Name == "ScriptObject") Visit(o.State, prefix, depth + 1);
                    else if (o.Attributes is { } attrs)
                        foreach (var kv in attrs) Visit(kv.Value, Join(prefix, ModuleWalker.Key(kv.Key)), depth + 1);
                    break;
            }
        }

        // Leaves and shared references are stepped over without building their key paths (a list of two million
        // references to one object would otherwise allocate two million path strings).
        private void Item(object? item, string prefix, int index, int depth)
        {
            if (_walk.MustVisit<PtTensor>(item))
                Visit(item, Join(prefix, index.ToString(System.Globalization.CultureInfo.InvariantCulture)), depth);
            else _walk.Step(depth, prefix, index);
        }

        /// <summary>TorchScript <c>state_dict()</c>: parameters, buffers (per the class's code), then child modules, in attribute order.</summary>
        private void ScriptStateDict(PyObject module, string prefix, int depth)
        {
            _walk.Step(depth, prefix.TrimEnd('.'));
            _script ??= TorchScriptClasses.Read(file);
            var attrs = module.Attributes!;
            bool known = _script.TryGet(module.Class!.FullName, out var parameters, out var buffers);
            foreach (var kv in attrs)
                if (kv.Key is string n && kv.Value is PtTensor t && (!known || parameters.Contains(n))) output.Add(new(prefix + n, t));
            if (known)
                foreach (var kv in attrs)
                    if (kv.Key is string n && kv.Value is PtTensor t && buffers.Contains(n)) output.Add(new(prefix + n, t));
            foreach (var kv in attrs)
                if (kv.Key is string n && kv.Value is PyObject child && IsScriptModule(child) && _walk.FirstReach(child))
                    ScriptStateDict(child, prefix + n + ".", depth + 1);
        }
    }
}
