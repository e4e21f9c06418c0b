using System.Globalization;
using System.Numerics;
using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>One value of a flattened state dict: its DCP name, its path in the nested state, and the value.</summary>
/// <param name="Name">The flattened name (<c>optim.param_groups.0.lr</c>).</param>
/// <param name="Path">Keys (strings) and list indices (<see cref="long"/>) leading to the value.</param>
/// <param name="Value">A <see cref="PtTensor"/> (a tensor item) or any other value (a pickled bytes item).</param>
internal sealed record DcpFlatEntry(string Name, IReadOnlyList<object> Path, object? Value);

/// <summary>
/// Flattens nested state the way torch 2.6's <c>flatten_state_dict</c> (<c>_nested_dict.py</c>,
/// <c>_traverse.traverse_state_dict</c>) does before <c>dcp.save</c>: a mapping is walked with <c>str(key)</c>; a list
/// is walked by index when it holds a tensor, a mapping or such a list, and is otherwise one value; a tuple and any
/// other value are one value. A mapping with no entries leaves nothing, as in torch.
/// </summary>
internal static class DcpFlattening
{
    private const int MaxDepth = 256;

    public static List<DcpFlatEntry> Flatten(PyDict root)
    {
        var entries = new List<DcpFlatEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var walk = new ObjectWalk();
        foreach (var (k, v) in root) Walk([KeyText(k, "")], v, entries, names, walk);
        return entries;
    }

    // As torch, a value shared through the memo is flattened under each of its names: a re-walk, budgeted by steps.
    private static void Walk(List<object> path, object? value, List<DcpFlatEntry> entries, HashSet<string> names,
        ObjectWalk walk)
    {
        string name = string.Join(".", path.Select(p => p is long l ? l.ToString(CultureInfo.InvariantCulture) : p));
        walk.Step(0, name);
        if (path.Count > MaxDepth)
            throw new PtWriteException($"'{name}' is nested deeper than {MaxDepth} levels", name);
        switch (value)
        {
            case PyDict d:
                foreach (var (k, v) in d) Walk([.. path, KeyText(k, name)], v, entries, names, walk);
                return;
            case PyList l when !IsTerminal(l, 0, walk):
                for (int i = 0; i < l.Count; i++) Walk([.. path, (long)i], l[i], entries, names, walk);
                return;
        }
        if (!names.Add(name))
            throw new PtWriteException($"two values flatten to the name '{name}' (torch's dcp.save refuses it too)",
                name);
        entries.Add(new DcpFlatEntry(name, path.ToArray(), value));
    }

    /// <summary>torch's <c>_is_terminal</c> for a list: no tensor, mapping, or non-terminal list inside.</summary>
    private static bool IsTerminal(PyList list, int depth, ObjectWalk walk)
    {
        if (depth > MaxDepth) throw new PtWriteException($"a list is nested deeper than {MaxDepth} levels", null);
        walk.Step(0);
        if (walk.TryGetResult(list, out bool known)) return known;
        walk.SetResult(list, true); // a cycle back here adds nothing
        bool terminal = true;
        foreach (var entry in list)
        {
            if (entry is PtTensor or PyDict || entry is PyList inner && !IsTerminal(inner, depth + 1, walk))
            {
                terminal = false;
                break;
            }
        }
        walk.SetResult(list, terminal);
        return terminal;
    }

    /// <summary>Python's <c>str(key)</c> for the key types a state dict has.</summary>
    private static string KeyText(object? key, string where) => key switch
    {
        string s => s,
        long or int or short or sbyte or byte or uint or ushort or ulong or BigInteger =>
            Convert.ToString(key, CultureInfo.InvariantCulture)!,
        bool b => b ? "True" : "False",
        null => "None",
        _ => throw new PtWriteException(
            $"a key under '{(where.Length == 0 ? "(root)" : where)}' is {PickleMachine.Describe(key)}; a distributed " +
            "checkpoint names values by str(key), which PtSharp writes for string, integer, bool and None keys", where),
    };
}
