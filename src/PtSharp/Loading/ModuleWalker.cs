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

    public static void StateDict(PyObject module, string prefix, List<NamedTensor> output, ObjectWalk walk,
        int depth)
    {
        walk.Step(depth, prefix.TrimEnd('.'));
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
                if (kv.Value is PyObject child && IsModule(child) && walk.FirstReach(child))
                    StateDict(child, prefix + Key(kv.Key) + ".", output, walk, depth + 1);
    }

    internal static string Key(object? key) => PyKeyText.Of(key);
}
