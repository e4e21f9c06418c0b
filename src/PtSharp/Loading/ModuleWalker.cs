using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>
/// Derives <c>state_dict()</c> keys from a pickled <c>nn.Module</c> without running it, as
/// <c>nn.Module._save_to_state_dict</c> does: parameters, then persistent buffers, then each child module.
/// </summary>
internal static class ModuleWalker
{
    public static bool IsModule(PyObject o) =>
        o.Attributes is { } a && a.TryGetValue("_modules", out var m) && m is PyDict && a.TryGetValue("_parameters", out var p) && p is PyDict;

    public static void StateDict(PyObject module, string prefix, List<NamedTensor> output, WalkBudget budget, int depth)
    {
        budget.Enter(depth);
        var a = module.Attributes!;
        var nonPersistent = new HashSet<string>(StringComparer.Ordinal);
        if (a.TryGetValue("_non_persistent_buffers_set", out var np) && np is PySet set)
            foreach (var s in set) if (s is string name) nonPersistent.Add(name);
        if (a.TryGetValue("_parameters", out var ps) && ps is PyDict parameters)
            foreach (var kv in parameters)
                if (kv.Value is PtTensor t) output.Add(new(prefix + Key(kv.Key), t));
        if (a.TryGetValue("_buffers", out var bs) && bs is PyDict buffers)
            foreach (var kv in buffers)
                if (kv.Value is PtTensor t && !nonPersistent.Contains(Key(kv.Key))) output.Add(new(prefix + Key(kv.Key), t));
        if (a.TryGetValue("_modules", out var ms) && ms is PyDict modules)
            foreach (var kv in modules)
                if (kv.Value is PyObject child && IsModule(child) && budget.EnterObject(child))
                {
                    StateDict(child, prefix + Key(kv.Key) + ".", output, budget, depth + 1);
                    budget.LeaveObject(child);
                }
    }

    internal static string Key(object? key) => PyKeyText.Of(key);
}

/// <summary>
/// Bounds a walk over the object graph: depth and total visits. Each container is entered once, so cycles and
/// memo-shared subtrees ("billion laughs") cost no more than the pickle that made them.
/// </summary>
internal sealed class WalkBudget(int maxDepth, long maxVisits = 50_000_000)
{
    private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);
    private long _visits;

    public void Enter(int depth)
    {
        if (depth > maxDepth) ThrowHelper.Limit($"object tree is nested more than {maxDepth} levels deep");
        if (++_visits > maxVisits) ThrowHelper.Limit($"object tree has more than {maxVisits} paths (shared references multiply them)");
    }

    public bool EnterObject(object o) => _seen.Add(o);

    public void LeaveObject(object o) { }
}
