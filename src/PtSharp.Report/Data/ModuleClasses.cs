using System.Globalization;
using PtSharp.Pickle;

namespace PtSharp.Report.Data;

/// <summary>
/// The class of every module in a pickled <c>nn.Module</c> or TorchScript hierarchy, keyed by the same dotted
/// path the tensors are named with (<c>layer1.0.conv1</c> → <c>Conv2d</c>). Nothing is resolved or imported:
/// the names are the globals the pickle refers to.
/// </summary>
internal static class ModuleClasses
{
    private const int MaxDepth = 64;
    private const int MaxModules = 100_000;

    public static List<(string Path, string Class)> Find(object? root)
    {
        var result = new List<(string, string)>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Visit(root, "", 0, result, seen, insideModule: false);
        return result;
    }

    private static void Visit(object? value, string path, int depth, List<(string, string)> result,
        HashSet<object> seen,
        bool insideModule)
    {
        if (depth > MaxDepth || result.Count >= MaxModules || value is null || !seen.Add(value)) return;
        switch (value)
        {
            case PyObject o when IsEagerModule(o):
                result.Add((path, o.Name));
                if (o.Attributes!["_modules"] is PyDict children)
                    foreach (var kv in children)
                        Visit(kv.Value, Join(path, Key(kv.Key)), depth + 1, result, seen, true);
                break;
            case PyObject o when IsScriptModule(o):
                result.Add((path, o.Name));
                foreach (var kv in o.Attributes!)
                    if (kv.Value is PyObject child && IsScriptModule(child))
                        Visit(child, Join(path, Key(kv.Key)), depth + 1, result, seen, true);
                break;
            case PyDict d when !insideModule:
                foreach (var kv in d) Visit(kv.Value, Join(path, Key(kv.Key)), depth + 1, result, seen, false);
                break;
            case PyList l when !insideModule:
                for (int i = 0; i < l.Count; i++) Visit(l[i], Join(path, Key(i)), depth + 1, result, seen, false);
                break;
        }
    }

    private static bool IsEagerModule(PyObject o) =>
        o.Attributes is { } a && a.TryGetValue("_modules", out var m) && m is PyDict
        && a.TryGetValue("_parameters", out var p) && p is PyDict;

    private static bool IsScriptModule(PyObject o) =>
        o.Module.StartsWith("__torch__", StringComparison.Ordinal) && o.Attributes is { } a
            && a.ContainsKey("training");

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

    private static string Key(object? key) => key switch
    {
        string s => s,
        null => "None",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => key.ToString() ?? "",
    };
}
