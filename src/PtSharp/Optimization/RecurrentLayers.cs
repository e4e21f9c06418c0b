using System.Globalization;
using System.Text.RegularExpressions;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// Finds the <c>nn.LSTM</c> and <c>nn.GRU</c> stacks of a state dict that <c>quantize_dynamic</c> swaps: a module
/// whose only entries are <c>weight_ih_l{k}[_reverse]</c>, <c>weight_hh_l…</c>, <c>bias_ih_l…</c> and
/// <c>bias_hh_l…</c> for layers 0..L−1 and one or two directions, with consistent shapes. The kind comes from the
/// shapes: <c>weight_hh_l0</c> is <c>[gates × hidden, hidden]</c>, so gates = rows ÷ columns (4 LSTM, 3 GRU, 1 a
/// plain <c>nn.RNN</c>, which torch does not quantize) and never depends on guessing the hidden size. From a whole
/// pickled model the module's class must also be exactly <c>torch.nn.modules.rnn.LSTM</c>/<c>GRU</c> (the types
/// <c>quantize_dynamic</c> swaps; subclasses are not) and agree with the shapes.
/// </summary>
internal static partial class RecurrentLayers
{
    /// <summary>The four tensors of one layer and direction, in <c>from_float</c>'s names.</summary>
    public sealed record Cell(NamedTensor WeightIh, NamedTensor WeightHh, NamedTensor BiasIh, NamedTensor BiasHh);

    /// <summary>
    /// A recognised stack: its module name, <c>LSTM</c> or <c>GRU</c>, and its cells layer by layer (forward, then
    /// reverse), the order of <c>_all_weight_values</c>.
    /// </summary>
    public sealed record Stack(string Module, string Mode, int Layers, int Directions, IReadOnlyList<Cell> Cells)
    {
        /// <summary>The state-dict keys the stack replaces.</summary>
        public IEnumerable<string> Keys =>
            Cells.SelectMany(c => new[] { c.WeightIh.Name, c.WeightHh.Name, c.BiasIh.Name, c.BiasHh.Name });
    }

    [GeneratedRegex(@"^(weight|bias)_(ih|hh|hr)_l(\d{1,4})(_reverse)?$", RegexOptions.CultureInvariant)]
    private static partial Regex EntryPattern();

    /// <summary>
    /// The LSTM/GRU stacks of <paramref name="stateDict"/> in state-dict order; modules that look like a recurrent
    /// stack but cannot be quantized as torch does (no biases, <c>proj_size</c>, a plain RNN, inconsistent shapes)
    /// are left out with a note.
    /// </summary>
    public static List<Stack> Find(IReadOnlyList<NamedTensor> stateDict, object? root, List<string> notes)
    {
        Dictionary<string, string>? classes = null;
        if (root is PyObject module && ModuleWalker.IsModule(module))
        {
            classes = new Dictionary<string, string>(StringComparer.Ordinal);
            CollectClasses(module, "", classes, 0);
        }
        var modules = new Dictionary<string, Dictionary<string, NamedTensor>>(StringComparer.Ordinal);
        var order = new List<string>();
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var nt in stateDict)
        {
            int dot = nt.Name.LastIndexOf('.');
            string prefix = dot < 0 ? "" : nt.Name[..dot];
            if (!modules.TryGetValue(prefix, out var entries))
            {
                modules[prefix] = entries = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
                order.Add(prefix);
            }
            entries.TryAdd(dot < 0 ? nt.Name : nt.Name[(dot + 1)..], nt);
            if (prefix.Length > 0) parents.Add("");
            for (int d = prefix.IndexOf('.'); d >= 0; d = prefix.IndexOf('.', d + 1)) parents.Add(prefix[..d]);
        }
        var stacks = new List<Stack>();
        foreach (string prefix in order)
        {
            var entries = modules[prefix];
            if (!entries.Keys.Any(k => k.StartsWith("weight_ih_l", StringComparison.Ordinal))) continue;
            if (parents.Contains(prefix) || !entries.Keys.All(k => EntryPattern().IsMatch(k))) continue;
            string cls = "";
            if (classes is not null && !classes.TryGetValue(prefix, out cls!)) continue;
            if (Recognise(prefix, entries, cls, classes is not null, notes) is { } stack) stacks.Add(stack);
        }
        return stacks;
    }

    private static Stack? Recognise(string prefix, Dictionary<string, NamedTensor> entries, string cls, bool fromTree,
        List<string> notes)
    {
        string name = prefix.Length == 0 ? "(root)" : prefix;
        Stack? Skip(string why)
        {
            notes.Add($"{name}: {why}; left in float");
            return null;
        }
        if (fromTree && cls is not ("torch.nn.modules.rnn.LSTM" or "torch.nn.modules.rnn.GRU"))
        {
            return cls == "torch.nn.modules.rnn.RNN" ? Skip("nn.RNN is not quantized by quantize_dynamic") : null;
        }
        if (entries.Keys.Any(k => k.StartsWith("weight_hr_", StringComparison.Ordinal)))
            return Skip("an LSTM with proj_size (weight_hr_*), which quantize_dynamic cannot quantize");
        int layers = 0;
        bool reverse = false;
        foreach (string k in entries.Keys)
        {
            var m = EntryPattern().Match(k);
            layers = Math.Max(layers, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) + 1);
            reverse |= m.Groups[4].Success;
        }
        int directions = reverse ? 2 : 1;
        if (!entries.Keys.Any(k => k.StartsWith("bias_", StringComparison.Ordinal)))
            return Skip("a recurrent stack without biases (bias=False), which torch's quantize_dynamic refuses "
                + "(RNNBase.from_float asserts mod.bias)");
        if (entries.Count != layers * directions * 4)
            return Skip($"looks like an LSTM/GRU but its {entries.Count} entries are not 4 per layer and direction");
        var cells = new List<Cell>();
        for (int l = 0; l < layers; l++)
            for (int d = 0; d < directions; d++)
            {
                string suffix = string.Create(CultureInfo.InvariantCulture, $"_l{l}{(d == 1 ? "_reverse" : "")}");
                if (!entries.TryGetValue("weight_ih" + suffix, out var wih)
                    || !entries.TryGetValue("weight_hh" + suffix, out var whh)
                    || !entries.TryGetValue("bias_ih" + suffix, out var bih)
                    || !entries.TryGetValue("bias_hh" + suffix, out var bhh))
                    return Skip($"looks like an LSTM/GRU but layer {l}{(d == 1 ? " (reverse)" : "")} is incomplete");
                cells.Add(new Cell(wih, whh, bih, bhh));
            }
        var hh = cells[0].WeightHh.Tensor;
        if (hh.Rank != 2 || hh.Shape[1] == 0 || hh.Shape[0] % hh.Shape[1] != 0)
            return Skip($"weight_hh_l0 {Shape(hh)} is not [gates × hidden, hidden]");
        long hidden = hh.Shape[1];
        long gates = hh.Shape[0] / hidden;
        string? mode = gates switch { 4 => "LSTM", 3 => "GRU", _ => null };
        if (mode is null)
            return Skip(gates == 1 ? "a plain nn.RNN (1 gate), which quantize_dynamic does not quantize"
                : $"weight_hh_l0 {Shape(hh)} has {gates} gates, not LSTM's 4 or GRU's 3");
        if (fromTree && !cls.EndsWith("." + mode, StringComparison.Ordinal))
            return Skip($"the module is a {cls[(cls.LastIndexOf('.') + 1)..]} but its weights have {mode}'s "
                + $"{gates} gates");
        long rows = gates * hidden;
        long input = cells[0].WeightIh.Tensor.Rank == 2 ? cells[0].WeightIh.Tensor.Shape[1] : -1;
        for (int i = 0; i < cells.Count; i++)
        {
            var c = cells[i];
            long expectedInput = i < directions ? input : hidden * directions;
            if (!IsWeight(c.WeightIh.Tensor, rows, expectedInput) || !IsWeight(c.WeightHh.Tensor, rows, hidden)
                || !IsBias(c.BiasIh.Tensor, rows) || !IsBias(c.BiasHh.Tensor, rows))
                return Skip($"the shapes or dtypes of {c.WeightIh.Name} and its siblings do not fit a {mode} "
                    + $"with hidden size {hidden} (float weights "
                    + $"[{rows}, {(expectedInput < 0 ? "in" : expectedInput)}] and "
                    + $"[{rows}, {hidden}], biases [{rows}])");
        }
        return new Stack(prefix, mode, layers, directions, cells);
    }

    private static string Shape(PtTensor t) => "[" + string.Join(", ", t.Shape) + "]";

    private static bool IsWeight(PtTensor t, long rows, long columns) =>
        t.Rank == 2 && t.Shape[0] == rows && t.Shape[1] == columns && columns >= 0 && Readable(t);

    private static bool IsBias(PtTensor t, long rows) => t.Rank == 1 && t.Shape[0] == rows && Readable(t);

    private static bool Readable(PtTensor t) =>
        FloatReader.CanRead(t.DType) && !t.IsSparse && t.Quantization is null && t.Storage is { HasData: true };

    private static void CollectClasses(PyObject module, string prefix, Dictionary<string, string> output, int depth)
    {
        if (depth > 200) return;
        output.TryAdd(prefix, module.Callable is PyGlobal g ? g.Module + "." + g.Name : "");
        if (module.Attributes!.TryGetValue("_modules", out var ms) && ms is PyDict modules)
            foreach (var kv in modules)
                if (kv.Value is PyObject child && ModuleWalker.IsModule(child))
                {
                    string key = ModuleWalker.Key(kv.Key);
                    CollectClasses(child, prefix.Length == 0 ? key : prefix + "." + key, output, depth + 1);
                }
    }
}
