using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>Decides what a file's top-level object is.</summary>
internal static class KindClassifier
{
    /// <summary>
    /// The kind of <paramref name="root"/>. It looks two levels down (a checkpoint holds a state dict, or a dict of
    /// state dicts); each dict is judged once per <paramref name="walk"/>, so a root whose entries share one big
    /// dict through the memo costs what the pickle costs.
    /// </summary>
    public static PtKind Classify(object? root, ObjectWalk? walk = null)
    {
        walk ??= new ObjectWalk();
        return root switch
        {
            PtTensor => PtKind.Tensor,
            PyObject o when ModuleWalker.IsModule(o) => PtKind.Module,
            PyDict d when IsStateDict(d, walk) => PtKind.StateDict,
            PyDict d when d.Values.Any(v => HoldsWeights(v, walk)) => PtKind.Checkpoint,
            _ => PtKind.Object,
        };
    }

    /// <summary>
    /// A mapping that <c>nn.Module.state_dict()</c> made (an OrderedDict carrying <c>_metadata</c>; quantized modules
    /// put tuples and dtypes in it too), or any non-empty mapping from string keys to tensors (None allowed).
    /// </summary>
    public static bool IsStateDict(PyDict d)
    {
        if (d.Count == 0) return false;
        bool anyTensor = false, onlyTensorsOrNone = true;
        foreach (var kv in d.ItemSpan)
        {
            if (kv.Key is not string) return false;
            if (kv.Value is PtTensor) anyTensor = true;
            else if (kv.Value is not null) onlyTensorsOrNone = false;
        }
        return anyTensor && (onlyTensorsOrNone || d.Attributes is { } a && a.ContainsKey("_metadata"));
    }

    private static bool IsStateDict(PyDict d, ObjectWalk walk)
    {
        walk.Step(1);
        if (walk.TryGetResult(d, out bool known)) return known;
        bool result = IsStateDict(d);
        walk.SetResult(d, result);
        return result;
    }

    private static bool HoldsWeights(object? v, ObjectWalk walk) => v switch
    {
        PtTensor => true,
        PyDict d => IsStateDict(d, walk) || walk.FirstReach(d)
            && d.Values.Any(x => x is PyDict inner && IsStateDict(inner, walk)),
        PyObject o => ModuleWalker.IsModule(o),
        _ => false,
    };
}
