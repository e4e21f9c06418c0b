using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// Finds the <c>nn.Linear</c> layers of a state dict: from the module tree when the file is a complete pickled
/// model (modules whose class is exactly <c>torch.nn.modules.linear.Linear</c>, the type
/// <c>quantize_dynamic(model, {nn.Linear})</c> swaps), otherwise from the key pattern: a module whose only
/// entries are a 2-D floating <c>weight</c> and optionally a 1-D <c>bias</c> as long as the weight's first
/// dimension. A bias-less 2-D weight in a module whose name contains <c>emb</c> is taken for an embedding.
/// </summary>
internal static class LinearLayers
{
    /// <summary>A recognised layer: its module name (<c>fc</c>, <c>encoder.0.proj</c>) and its tensors.</summary>
    public sealed record Layer(string Module, NamedTensor Weight, NamedTensor? Bias);

    /// <summary>The Linear layers of <paramref name="stateDict"/>, in state-dict order; <paramref name="fromModuleTree"/> says how they were found.</summary>
    public static List<Layer> Find(IReadOnlyList<NamedTensor> stateDict, object? root, out bool fromModuleTree)
    {
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var nt in stateDict) byName.TryAdd(nt.Name, nt);
        HashSet<string>? linearModules = null;
        if (root is PyObject module && ModuleWalker.IsModule(module))
        {
            linearModules = new HashSet<string>(StringComparer.Ordinal);
            CollectLinear(module, "", linearModules, ModuleTreeWalk(), 0);
        }
        fromModuleTree = linearModules is not null;
        var entriesOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var nt in stateDict)
        {
            int dot = nt.Name.LastIndexOf('.');
            string prefix = dot < 0 ? "" : nt.Name[..dot];
            if (!entriesOf.TryGetValue(prefix, out var list)) entriesOf[prefix] = list = [];
            list.Add(dot < 0 ? nt.Name : nt.Name[(dot + 1)..]);
            for (int d = prefix.LastIndexOf('.'); d >= 0; d = prefix.LastIndexOf('.', d - 1))
            {
                parents.Add(prefix[..d]);
                if (d == 0) break;
            }
            if (prefix.Length > 0) parents.Add("");
        }
        var layers = new List<Layer>();
        foreach (var nt in stateDict)
        {
            if (!nt.Name.EndsWith("weight", StringComparison.Ordinal)) continue;
            int dot = nt.Name.LastIndexOf('.');
            string prefix = dot < 0 ? "" : nt.Name[..dot];
            if ((dot < 0 ? nt.Name : nt.Name[(dot + 1)..]) != "weight") continue;
            string biasName = prefix.Length == 0 ? "bias" : prefix + ".bias";
            byName.TryGetValue(biasName, out var bias);
            if (!IsLinearShape(nt.Tensor, bias?.Tensor)) continue;
            if (linearModules is not null)
            {
                if (!linearModules.Contains(prefix)) continue;
            }
            else
            {
                if (parents.Contains(prefix)) continue; // a module with children is not a Linear
                var entries = entriesOf[prefix];
                if (entries.Any(e => e is not ("weight" or "bias"))) continue;
                if (bias is null && LastSegment(prefix).Contains("emb", StringComparison.OrdinalIgnoreCase)) continue;
            }
            layers.Add(new Layer(prefix, nt, bias));
        }
        return layers;
    }

    private static string LastSegment(string prefix) => prefix[(prefix.LastIndexOf('.') + 1)..];

    private static bool IsLinearShape(PtTensor weight, PtTensor? bias) =>
        weight.Rank == 2 && FloatReader.CanRead(weight.DType) && !weight.IsSparse && weight.Storage is { HasData: true }
        && (bias is null || bias.Rank == 1 && bias.Shape[0] == weight.Shape[0] && FloatReader.CanRead(bias.DType));

    /// <summary>A shared submodule is named under each path, as in torch: a budgeted re-walk.</summary>
    private static ObjectWalk ModuleTreeWalk() => new(maxSteps: Loading.StateDictMetadata.MaxSteps);

    private static void CollectLinear(PyObject module, string prefix, HashSet<string> output, ObjectWalk walk,
        int depth)
    {
        walk.Step(0, prefix.TrimEnd('.'));
        if (depth > 200) return;
        if (module.Callable is PyGlobal { Module: "torch.nn.modules.linear", Name: "Linear" })
            output.Add(prefix.TrimEnd('.'));
        if (module.Attributes!.TryGetValue("_modules", out var ms) && ms is PyDict modules)
            foreach (var kv in modules)
                if (kv.Value is PyObject child && ModuleWalker.IsModule(child))
                    CollectLinear(child, prefix + ModuleWalker.Key(kv.Key) + ".", output, walk, depth + 1);
    }
}
