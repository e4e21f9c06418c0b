using System.Globalization;
using System.Numerics;
using System.Text.Json;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary>
/// The <c>"entries"</c> object of <c>pt inspect --json</c>: every top-level entry of a checkpoint that is not itself a
/// tensor (epoch, loss, config, the state dicts...), as the table's "Other entries" shows them. Each entry has its
/// <c>summary</c>, the number of <c>tensors</c> under it and, when it is plain data (numbers, strings, booleans,
/// None, and up to 100-item lists/dicts/<c>argparse.Namespace</c>/<c>pathlib</c> paths of those), its <c>value</c>.
/// </summary>
internal static class InspectJsonEntries
{
    /// <summary>Values deeper than this are not written; the entry keeps its summary.</summary>
    private const int MaxDepth = 8;

    /// <summary>
    /// Nodes written per entry: the memo can share containers, so a value can name exponentially many.
    /// </summary>
    private const int MaxNodes = 1_000;

    /// <summary>
    /// Containers with more items are data (an RNG state, a loss history), not configuration: summary only.
    /// </summary>
    private const int MaxItems = 100;

    /// <summary>
    /// Writes <c>"entries"</c> for a checkpoint whose root is a dict; writes nothing for other files.
    /// </summary>
    public static void Write(Utf8JsonWriter w, InspectReport report)
    {
        if (report.Checkpoint.Kind != PtKind.Checkpoint || report.Checkpoint.Root is not PyDict root) return;
        w.WriteStartObject("entries");
        foreach (var (key, value) in root)
        {
            if (value is PtTensor) continue;
            string name = key is string s ? s : Display.Summary(key);
            string prefix = name + ".";
            int held = report.Tensors.Count(t => t.Name.StartsWith(prefix, StringComparison.Ordinal));
            w.WriteStartObject(name);
            w.WriteString("summary", Display.Summary(value));
            w.WriteNumber("tensors", held);
            int budget = MaxNodes;
            if (held == 0 && IsPlain(value, 0, ref budget))
            {
                w.WritePropertyName("value");
                WriteValue(w, value);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>Whether <paramref name="value"/> is plain data within the depth and node bounds.</summary>
    private static bool IsPlain(object? value, int depth, ref int budget)
    {
        if (--budget < 0 || depth > MaxDepth) return false;
        switch (value)
        {
            case null or bool or long or BigInteger or double or string:
                return true;
            case PyList { Count: > MaxItems }:
            case PyTuple { Count: > MaxItems }:
            case PyDict { Count: > MaxItems }:
                return false;
            case PyList list:
                foreach (var item in list)
                    if (!IsPlain(item, depth + 1, ref budget)) return false;
                return true;
            case PyTuple tuple when tuple.ClassName is null:
                foreach (var item in tuple)
                    if (!IsPlain(item, depth + 1, ref budget)) return false;
                return true;
            case PyDict dict when dict.ClassName is null or "collections.OrderedDict":
                foreach (var (k, v) in dict)
                    if (k is not string || !IsPlain(v, depth + 1, ref budget)) return false;
                return true;
            case PyObject o when NamespaceState(o) is { } state:
                return IsPlain(state, depth + 1, ref budget);
            case PyObject o when PathText(o) is not null:
                return true;
            default:
                return false;
        }
    }

    /// <summary>Writes a value that <see cref="IsPlain"/> accepted.</summary>
    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case bool b: w.WriteBooleanValue(b); break;
            case long l: w.WriteNumberValue(l); break;
            // Beyond 64 bits a JSON number loses precision in most readers: keep the digits as text.
            case BigInteger big: w.WriteStringValue(big.ToString(CultureInfo.InvariantCulture)); break;
            case double d when double.IsNaN(d): w.WriteStringValue("nan"); break;
            case double d when double.IsPositiveInfinity(d): w.WriteStringValue("inf"); break;
            case double d when double.IsNegativeInfinity(d): w.WriteStringValue("-inf"); break;
            case double d: w.WriteNumberValue(d); break;
            case string s: w.WriteStringValue(s); break;
            case PyList list:
                w.WriteStartArray();
                foreach (var item in list) WriteValue(w, item);
                w.WriteEndArray();
                break;
            case PyTuple tuple:
                w.WriteStartArray();
                foreach (var item in tuple) WriteValue(w, item);
                w.WriteEndArray();
                break;
            case PyDict dict:
                w.WriteStartObject();
                foreach (var (k, v) in dict)
                {
                    w.WritePropertyName((string)k!);
                    WriteValue(w, v);
                }
                w.WriteEndObject();
                break;
            case PyObject o when NamespaceState(o) is { } state:
                WriteValue(w, state);
                break;
            case PyObject o:
                w.WriteStringValue(PathText(o));
                break;
        }
    }

    /// <summary>The attribute dict of an <c>argparse.Namespace</c> (pickled as a class plus a BUILD state).</summary>
    private static PyDict? NamespaceState(PyObject o) =>
        o.Class?.FullName == "argparse.Namespace" && o.State is PyDict { ClassName: null } state ? state : null;

    /// <summary>
    /// The text of a <c>pathlib</c> path: its class is called with the path's parts as strings
    /// (<c>PurePath.__reduce__</c>), which join with <c>/</c> for the POSIX classes and <c>\</c> for the Windows ones.
    /// </summary>
    private static string? PathText(PyObject o)
    {
        // Python 3.13 moved the classes to pathlib._local, and pickles name them there.
        if (o.Class is not { Module: "pathlib" or "pathlib._local" } cls
            || !cls.Name.EndsWith("Path", StringComparison.Ordinal)) return null;
        if (o.State is not null || o.Args.Count == 0) return null;
        var parts = new List<string>(o.Args.Count);
        foreach (var a in o.Args)
        {
            if (a is not string s) return null;
            parts.Add(s);
        }
        string separator = cls.Name.Contains("Windows", StringComparison.Ordinal) ? "\\" : "/";
        var text = new System.Text.StringBuilder();
        foreach (var part in parts)
        {
            if (text.Length > 0 && !text.ToString().EndsWith(separator, StringComparison.Ordinal))
                text.Append(separator);
            text.Append(part);
        }
        return text.ToString();
    }
}
