using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;

namespace PtSharp.Modules;

/// <summary>
/// Builds <see cref="ModuleSpec"/> trees from the inert object tree of a complete pickled model
/// (<c>torch.save(model)</c>) for the standard <c>torch.nn</c> layers and common torchvision architectures.
/// Nothing from the file is executed: classes are recognised by name and hyper-parameters read from the pickled
/// <c>__dict__</c>.
/// </summary>
public static partial class ModuleRegistry
{
    private delegate ModuleSpec Reader(ModuleAttributes a, PyObject o, string path);

    /// <summary>Describes the pickled module <paramref name="module"/> and all its children.</summary>
    /// <exception cref="UnsupportedModuleException">A module in the tree has a class the registry does not know.</exception>
    /// <exception cref="PtFormatException">The object is not a pickled module, or an attribute is missing or ill-typed.</exception>
    public static ModuleSpec Describe(object? module) =>
        Describe(module, "", new ObjectWalk(maxSteps: Loading.StateDictMetadata.MaxSteps), 0);

    /// <summary>Describes the complete model a file holds (its root, or the single module inside a checkpoint dict).</summary>
    /// <exception cref="PtFormatException">The file holds no pickled module, or one the registry cannot describe.</exception>
    public static ModuleSpec Describe(PtFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Root is PyObject o && ModuleWalker.IsModule(o)) return Describe(o);
        if (file.Root is PyDict d)
        {
            var modules = d.Values.OfType<PyObject>().Where(ModuleWalker.IsModule).ToList();
            if (modules.Count == 1) return Describe(modules[0]);
        }
        throw new PtFormatException(PtErrorKind.Unsupported,
            $"the file holds a {file.Kind}, not a complete pickled model (torch.save(model)); load its weights with LoadStateDict or LoadPt");
    }

    /// <summary>True when <paramref name="pythonClass"/> (e.g. <c>torch.nn.modules.conv.Conv2d</c>) is known.</summary>
    public static bool IsKnown(string pythonClass) => Readers.ContainsKey(pythonClass);

    /// <summary>Every Python class the registry knows, sorted.</summary>
    public static IReadOnlyList<string> KnownClasses => Readers.Keys.Order(StringComparer.Ordinal).ToList();

    private const int MaxDepth = 200;

    // A shared submodule is described under each name (torch calls it under each): a re-walk, budgeted by steps.
    private static ModuleSpec Describe(object? value, string path, ObjectWalk walk, int depth)
    {
        walk.Step(0, path);
        if (value is not PyObject o || !ModuleWalker.IsModule(o))
            throw new PtFormatException(PtErrorKind.Unsupported,
                $"{(path.Length == 0 ? "the object" : $"'{path}'")} is {DescribeValue(value)}, not a pickled nn.Module");
        if (depth > MaxDepth) ThrowHelper.Limit($"module tree is nested more than {MaxDepth} levels deep");
        string cls = o.Module + "." + o.Name;
        if (!Readers.TryGetValue(cls, out var reader)) throw new UnsupportedModuleException(cls, path);
        var a = new ModuleAttributes(o.Attributes!, cls);
        var spec = reader(a, o, path);
        spec.PythonClass = cls;
        spec.Source = o;
        spec.Training = a.Bool("training");
        spec.Parameters = Names(a.Raw("_parameters"));
        spec.Buffers = Names(a.Raw("_buffers"));
        var children = new List<KeyValuePair<string, ModuleSpec>>();
        if (a.Raw("_modules") is PyDict modules)
            foreach (var kv in modules)
            {
                if (kv.Value is null) continue;
                string name = ModuleWalker.Key(kv.Key);
                string childPath = path.Length == 0 ? name : path + "." + name;
                children.Add(new(name, Describe(kv.Value, childPath, walk, depth + 1)));
            }
        spec.Children = children;
        if (spec is TransformerEncoderLayerSpec layer) FinishEncoderLayer(layer);
        return spec;
    }

    private static void FinishEncoderLayer(TransformerEncoderLayerSpec layer)
    {
        var attention = layer.Child<MultiheadAttentionSpec>("self_attn");
        layer.DModel = attention.EmbedDim;
        layer.NHead = attention.NumHeads;
        layer.BatchFirst = attention.BatchFirst;
        layer.DimFeedforward = layer.Child<LinearSpec>("linear1").OutFeatures;
        layer.Dropout = layer.Child<DropoutSpec>("dropout").P;
        layer.LayerNormEps = layer.Child<LayerNormSpec>("norm1").Eps;
    }

    private static string[] Names(object? dict) => dict is PyDict d
        ? d.Where(kv => kv.Value is not null).Select(kv => ModuleWalker.Key(kv.Key)).ToArray()
        : [];

    private static string DescribeValue(object? v) => v switch
    {
        null => "None",
        PyObject o => $"a {o.Module}.{o.Name} object",
        _ => $"a {v.GetType().Name}",
    };
}
