using System.Text.Json;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Report.Data;

/// <summary>
/// The training side of a checkpoint: its plain values (epoch, loss, step, config...) and each optimizer state
/// dict (a dict with <c>state</c> and <c>param_groups</c>): the groups' hyper-parameters and per-parameter state.
/// </summary>
internal static class CheckpointSection
{
    private const int MaxScalars = 500;
    private const int MaxDepth = 4;
    private const int MaxStateRows = 5000;

    /// <summary>
    /// Writes the <c>checkpoint</c> object, or nothing when the root holds neither scalars nor optimizers.
    /// </summary>
    public static void Write(Utf8JsonWriter w, object? root, IReadOnlyDictionary<PtTensor, int> tensorIndex)
    {
        if (root is not PyDict dict) return;
        var scalars = new List<(string, string)>();
        var optimizers = new List<(string, PyDict)>();
        Walk(dict, "", 0, scalars, optimizers);
        if (scalars.Count == 0 && optimizers.Count == 0) return;
        w.WriteStartObject("checkpoint");
        w.WriteStartArray("scalars");
        foreach (var (path, text) in scalars)
        {
            w.WriteStartArray();
            w.WriteStringValue(path);
            w.WriteStringValue(text);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteStartArray("optimizers");
        foreach (var (path, opt) in optimizers) WriteOptimizer(w, path, opt, tensorIndex);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Walk(PyDict d, string prefix, int depth, List<(string, string)> scalars,
        List<(string, PyDict)> optimizers)
    {
        foreach (var (key, value) in d)
        {
            string path = prefix.Length == 0
                ? ValueText.Format(key).Trim('\'') : prefix + "." + ValueText.Format(key).Trim('\'');
            if (value is PyDict sub && IsOptimizer(sub)) { optimizers.Add((path, sub)); continue; }
            if (ValueText.IsScalar(value))
            {
                if (scalars.Count < MaxScalars) scalars.Add((path, ValueText.Format(value)));
                continue;
            }
            // Recurse into small config-like dicts (hyper-parameters, metrics), not into state dicts.
            if (value is PyDict child && depth < MaxDepth && !child.Values.Any(v => v is PtTensor))
                Walk(child, path, depth + 1, scalars, optimizers);
            else if (value is PyObject { Attributes: { } attrs } o && depth < MaxDepth && !IsModuleLike(o)
                     && !attrs.Values.Any(v => v is PtTensor or PyObject))
                Walk(attrs, path, depth + 1, scalars, optimizers); // argparse.Namespace and the like
        }
    }

    private static bool IsModuleLike(PyObject o) => o.Attributes is { } a
        && (a.ContainsKey("_modules") || a.ContainsKey("training"));

    private static bool IsOptimizer(PyDict d) =>
        d.TryGetValue("state", out var s) && s is PyDict && d.TryGetValue("param_groups", out var g) && g is PyList;

    private static void WriteOptimizer(Utf8JsonWriter w, string path, PyDict opt,
        IReadOnlyDictionary<PtTensor, int> index)
    {
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteStartArray("groups");
        foreach (var g in (PyList)opt["param_groups"]!)
        {
            if (g is not PyDict group) continue;
            w.WriteStartObject();
            w.WriteNumber("params", group.TryGetValue("params", out var p) && p is PyList ps ? ps.Count : 0);
            w.WriteStartArray("hyper");
            foreach (var (k, v) in group)
            {
                if (k is "params") continue;
                w.WriteStartArray();
                w.WriteStringValue(ValueText.Format(k).Trim('\''));
                w.WriteStringValue(ValueText.Format(v));
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        // Per-parameter state: one row per parameter id; tensors point at their row in the tensor table.
        var state = (PyDict)opt["state"]!;
        var keys = new List<string>();
        foreach (var (_, v) in state)
            if (v is PyDict entries)
                foreach (var (k, _) in entries)
                    if (ValueText.Format(k).Trim('\'') is var name && !keys.Contains(name)) keys.Add(name);
        w.WriteStartArray("stateKeys");
        foreach (var k in keys) w.WriteStringValue(k);
        w.WriteEndArray();
        w.WriteNumber("stateCount", state.Count);
        w.WriteStartArray("state");
        int rows = 0;
        foreach (var (id, v) in state)
        {
            if (rows++ >= MaxStateRows) break;
            w.WriteStartArray();
            w.WriteStringValue(ValueText.Format(id).Trim('\''));
            var entries = v as PyDict;
            foreach (var k in keys)
            {
                object? value = null;
                bool has = entries is not null && (entries.TryGetValue(k, out value));
                if (!has) w.WriteNullValue();
                else if (value is PtTensor t && t.ElementCount > 1 && index.TryGetValue(t, out int i))
                    w.WriteNumberValue(i);
                else w.WriteStringValue(ValueText.Format(value));
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
