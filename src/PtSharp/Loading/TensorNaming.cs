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
        private readonly WalkBudget _budget = new(file.Options.PickleLimits.MaxWalkDepth);
        private TorchScriptClasses? _script;

        private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

        public bool IsScriptModule(PyObject o) =>
            o.Module.StartsWith("__torch__", StringComparison.Ordinal) && o.Attributes is { } a && a.ContainsKey("training");

        public void Visit(object? value, string prefix, int depth)
        {
            _budget.Enter(depth);
            switch (value)
            {
                case PtTensor t:
                    output.Add(new(prefix, t));
                    break;
                case PyDict d when _budget.EnterObject(d):
                    foreach (var kv in d) Visit(kv.Value, Join(prefix, ModuleWalker.Key(kv.Key)), depth + 1);
                    _budget.LeaveObject(d);
                    break;
                case PyList l when _budget.EnterObject(l):
                    for (int i = 0; i < l.Count; i++) Visit(l[i], Join(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), depth + 1);
                    _budget.LeaveObject(l);
                    break;
                case PyTuple t when _budget.EnterObject(t):
                    for (int i = 0; i < t.Count; i++) Visit(t[i], Join(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), depth + 1);
                    _budget.LeaveObject(t);
                    break;
                case PyObject o when _budget.EnterObject(o):
                    if (ModuleWalker.IsModule(o)) ModuleWalker.StateDict(o, prefix.Length == 0 ? "" : prefix + ".", output, _budget, depth + 1);
                    else if (IsScriptModule(o)) ScriptStateDict(o, prefix.Length == 0 ? "" : prefix + ".", depth + 1);
                    else if (o.Module == "torch" && o.Name == "ScriptObject") Visit(o.State, prefix, depth + 1);
                    else if (o.Attributes is { } attrs)
                        foreach (var kv in attrs) Visit(kv.Value, Join(prefix, ModuleWalker.Key(kv.Key)), depth + 1);
                    _budget.LeaveObject(o);
                    break;
            }
        }

        /// <summary>TorchScript <c>state_dict()</c>: parameters, buffers (per the class's code), then child modules, in attribute order.</summary>
        private void ScriptStateDict(PyObject module, string prefix, int depth)
        {
            _budget.Enter(depth);
            _script ??= TorchScriptClasses.Read(file);
            var attrs = module.Attributes!;
            bool known = _script.TryGet(module.Class!.FullName, out var parameters, out var buffers);
            foreach (var kv in attrs)
                if (kv.Key is string n && kv.Value is PtTensor t && (!known || parameters.Contains(n))) output.Add(new(prefix + n, t));
            if (known)
                foreach (var kv in attrs)
                    if (kv.Key is string n && kv.Value is PtTensor t && buffers.Contains(n)) output.Add(new(prefix + n, t));
            foreach (var kv in attrs)
                if (kv.Key is string n && kv.Value is PyObject child && IsScriptModule(child) && _budget.EnterObject(child))
                {
                    ScriptStateDict(child, prefix + n + ".", depth + 1);
                    _budget.LeaveObject(child);
                }
        }
    }
}
