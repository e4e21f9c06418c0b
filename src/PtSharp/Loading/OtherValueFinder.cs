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

    public static IReadOnlyList<OtherValue> Find(object? root, HashSet<PtTensor> stateDict)
    {
        var output = new List<OtherValue>();
        Walk(root, "", stateDict, output, 0);
        return output;
    }

    private static void Walk(object? value, string path, HashSet<PtTensor> state, List<OtherValue> output, int depth)
    {
        if (value is PtTensor t)
        {
            if (!state.Contains(t)) output.Add(new(path, $"tensor {t.DType.Name()}[{string.Join(", ", t.ShapeArray)}] outside the state dict"));
            return;
        }
        if (!Holds(value, state, 0) || depth > MaxDepth)
        {
            output.Add(new(path, Describe(value)));
            return;
        }
        switch (value)
        {
            case PyDict d:
                foreach (var kv in d) Walk(kv.Value, Join(path, Key(kv.Key)), state, output, depth + 1);
                break;
            case PyList l:
                for (int i = 0; i < l.Count; i++) Walk(l[i], Join(path, i.ToString(CultureInfo.InvariantCulture)), state, output, depth + 1);
                break;
            case PyTuple tu:
                for (int i = 0; i < tu.Count; i++) Walk(tu[i], Join(path, i.ToString(CultureInfo.InvariantCulture)), state, output, depth + 1);
                break;
            case PyObject o when ModuleWalker.IsModule(o):
                break; // a module's state dict is its tensors; its other attributes are code configuration, not data
            case PyObject o when o.Attributes is { } attrs:
                foreach (var kv in attrs) Walk(kv.Value, Join(path, Key(kv.Key)), state, output, depth + 1);
                break;
        }
    }

    /// <summary>True when <paramref name="value"/> holds (at any depth) a tensor of the state dict.</summary>
    public static bool Holds(object? value, HashSet<PtTensor> state, int depth)
    {
        if (depth > MaxDepth) return false;
        return value switch
        {
            PtTensor t => state.Contains(t),
            PyDict d => d.Any(kv => Holds(kv.Value, state, depth + 1)),
            PyList l => l.Any(v => Holds(v, state, depth + 1)),
            PyTuple tu => tu.Any(v => Holds(v, state, depth + 1)),
            PyObject o => o.Attributes is { } a && a.Any(kv => Holds(kv.Value, state, depth + 1))
                          || o.State is PyDict s && s != o.Attributes && s.Any(kv => Holds(kv.Value, state, depth + 1)),
            _ => false,
        };
    }

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

    private static string Key(object? k) => k switch
    {
        null => "None",
        string s => s,
        _ => Convert.ToString(k, CultureInfo.InvariantCulture) ?? "?",
    };

    public static string Describe(object? value) => value switch
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
        PyDict d => $"{d.ClassName ?? "dict"} ({d.Count} entr{(d.Count == 1 ? "y" : "ies")}{Tensors(d)})",
        PyList l => $"list ({l.Count} item{(l.Count == 1 ? "" : "s")}{Tensors(l)})",
        PyTuple t => $"tuple ({t.Count} item{(t.Count == 1 ? "" : "s")}{Tensors(t)})",
        PyObject o when ModuleWalker.IsModule(o) => $"module {o.Module}.{o.Name}",
        PyObject o => $"{o.Module}.{o.Name} object{Tensors(o)}",
        PyGlobal g => $"{g.Module}.{g.Name}",
        _ => value.GetType().Name,
    };

    private static string Tensors(object value)
    {
        int n = Count(value, 0);
        return n == 0 ? "" : $", {n} tensor{(n == 1 ? "" : "s")}";
    }

    private static int Count(object? value, int depth)
    {
        if (depth > MaxDepth) return 0;
        return value switch
        {
            PtTensor => 1,
            PyDict d => d.Sum(kv => Count(kv.Value, depth + 1)),
            PyList l => l.Sum(v => Count(v, depth + 1)),
            PyTuple t => t.Sum(v => Count(v, depth + 1)),
            PyObject o when o.Attributes is { } a => a.Sum(kv => Count(kv.Value, depth + 1)),
            _ => 0,
        };
    }
}
