using System.Globalization;
using System.Numerics;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>
/// Lists what a state dict leaves out of a .pt file's object tree: each value (at the highest level possible)
/// that holds none of the state dict's tensors, and non-tensor leaves inside containers that do.
/// </summary>
internal static class OtherValueFinder
{
    private const int MaxDepth = 64;
    /// <summary>Containers a description counts tensors in before it says "at least".</summary>
    private const int MaxCounted = 10_000;

    public static IReadOnlyList<OtherValue> Find(object? root, HashSet<PtTensor> stateDict, ObjectWalk? walk = null)
    {
        var output = new List<OtherValue>();
        var search = new Search(stateDict, walk ?? new ObjectWalk());
        Walk(root, "", search, output, 0);
        return output;
    }

    /// <summary>
    /// One search: its bounded walk (each container walked once, holds-checks memoized per container: a DAG is not
    /// a tree) and the descriptions already made (a shared value listed under many paths is described once).
    /// </summary>
    private sealed class Search(HashSet<PtTensor> state, ObjectWalk walk)
    {
        public readonly HashSet<PtTensor> State = state;
        public readonly ObjectWalk Walk = walk;
        public ObjectWalk Holds => Walk; // its own memo of results, one step budget
        public Dictionary<object, string>? Descriptions;
    }

    private static void Walk(object? value, string path, Search search, List<OtherValue> output, int depth)
    {
        search.Walk.Step(depth, path);
        if (value is PtTensor t)
        {
            if (!search.State.Contains(t))
                output.Add(new(path, $"tensor {t.DType.Name()}[{string.Join(", ", t.ShapeArray)}] outside the state dict"));
            return;
        }
        if (!Holds(value, search, 0) || depth > MaxDepth)
        {
            output.Add(new(path, Describe(value, search)));
            return;
        }
        // A container shared through the memo is listed under its first path only.
        if (value is not null && !search.Walk.FirstReach(value)) return;
        switch (value)
        {
            case PyDict d:
                foreach (var kv in d) Walk(kv.Value, Join(path, Key(kv.Key)), search, output, depth + 1);
                break;
            case PyList l:
                for (int i = 0; i < l.Count; i++)
                    Walk(l[i], Join(path, i.ToString(CultureInfo.InvariantCulture)), search, output, depth + 1);
                break;
            case PyTuple tu:
                for (int i = 0; i < tu.Count; i++)
                    Walk(tu[i], Join(path, i.ToString(CultureInfo.InvariantCulture)), search, output, depth + 1);
                break;
            case PyObject o when ModuleWalker.IsModule(o):
                break; // a module's state dict is its tensors; its other attributes are code configuration, not data
            case PyObject o when o.Attributes is { } attrs:
                foreach (var kv in attrs) Walk(kv.Value, Join(path, Key(kv.Key)), search, output, depth + 1);
                break;
        }
    }

    /// <summary>True when <paramref name="value"/> holds (at any depth) a tensor of the state dict.</summary>
    public static bool Holds(object? value, HashSet<PtTensor> state, int depth, ObjectWalk? walk = null) =>
        Holds(value, new Search(state, walk ?? new ObjectWalk()), depth);

    private static bool Holds(object? value, Search search, int depth)
    {
        if (depth > MaxDepth || value is null) return false;
        if (value is PtTensor t) return search.State.Contains(t);
        if (value is not (PyDict or PyList or PyTuple or PyObject)) return false;
        var walk = search.Holds;
        walk.Step(depth);
        if (walk.TryGetResult(value, out bool known)) return known;
        walk.SetResult(value, false); // a cycle back here adds nothing
        bool result = value switch
        {
            PyDict d => d.Any(kv => Holds(kv.Value, search, depth + 1)),
            PyList l => l.Any(v => Holds(v, search, depth + 1)),
            PyTuple tu => tu.Any(v => Holds(v, search, depth + 1)),
            PyObject o => o.Attributes is { } a && a.Any(kv => Holds(kv.Value, search, depth + 1))
                          || o.State is PyDict s && s != o.Attributes && s.Any(kv => Holds(kv.Value, search, depth + 1)),
            _ => false,
        };
        walk.SetResult(value, result);
        return result;
    }

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

    private static string Key(object? k) => k switch
    {
        null => "None",
        string s => s,
        _ => Convert.ToString(k, CultureInfo.InvariantCulture) ?? "?",
    };

    /// <summary>A short description of <paramref name="value"/> (containers say how many tensors they hold).</summary>
    public static string Describe(object? value) => Describe(value, new ObjectWalk());

    private static string Describe(object? value, Search search)
    {
        if (!ObjectWalk.IsContainer(value)) return Describe(value, search.Walk);
        search.Descriptions ??= new(ReferenceEqualityComparer.Instance);
        if (search.Descriptions.TryGetValue(value!, out var known)) return known;
        return search.Descriptions[value!] = Describe(value, search.Walk);
    }

    private static string Describe(object? value, ObjectWalk walk) => value switch
    {
        null => "None",
        bool b => b ? "bool True" : "bool False",
        long or int or BigInteger => "int " + Convert.ToString(value, CultureInfo.InvariantCulture),
        double d => "float " + d.ToString("R", CultureInfo.InvariantCulture),
        string s => "str '" + (s.Length > 40 ? s[..40] + "…" : s) + "'",
        byte[] bytes => $"bytes ({bytes.Length})",
        Complex c => "complex " + c.ToString(CultureInfo.InvariantCulture),
        PySet set => $"{(set.IsFrozen ? "frozenset" : "set")} ({set.Count} item{(set.Count == 1 ? "" : "s")})",
        PyByteArray ba => $"bytearray ({ba.Data.Length})",
        PyDict d => $"{d.ClassName ?? "dict"} ({d.Count} entr{(d.Count == 1 ? "y" : "ies")}{Tensors(d, walk)})",
        PyList l => $"list ({l.Count} item{(l.Count == 1 ? "" : "s")}{Tensors(l, walk)})",
        PyTuple t => $"tuple ({t.Count} item{(t.Count == 1 ? "" : "s")}{Tensors(t, walk)})",
        PyObject o when ModuleWalker.IsModule(o) => $"module {o.Module}.{o.Name}",
        PyObject o => $"{o.Module}.{o.Name} object{Tensors(o, walk)}",
        PyGlobal g => $"{g.Module}.{g.Name}",
        _ => value.GetType().Name,
    };

    private static string Tensors(object value, ObjectWalk walk)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        int n = Count(value, 0, seen, walk);
        string atLeast = seen.Count >= MaxCounted ? "at least " : "";
        return n == 0 ? "" : $", {atLeast}{n} tensor{(n == 1 ? "" : "s")}";
    }

    /// <summary>Distinct tensors under <paramref name="value"/>, each container counted once, at most <see cref="MaxCounted"/> visits.</summary>
    private static int Count(object? value, int depth, HashSet<object> seen, ObjectWalk walk)
    {
        if (depth > MaxDepth || value is null || seen.Count >= MaxCounted) return 0;
        walk.Step(depth);
        if (!seen.Add(value)) return 0;
        return value switch
        {
            PtTensor => 1,
            PyDict d => d.Sum(kv => Count(kv.Value, depth + 1, seen, walk)),
            PyList l => l.Sum(v => Count(v, depth + 1, seen, walk)),
            PyTuple t => t.Sum(v => Count(v, depth + 1, seen, walk)),
            PyObject o when o.Attributes is { } a => a.Sum(kv => Count(kv.Value, depth + 1, seen, walk)),
            _ => 0,
        };
    }
}
