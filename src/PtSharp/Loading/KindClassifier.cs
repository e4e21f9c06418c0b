using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>Decides what a file's top-level object is.</summary>
internal static class KindClassifier
{
    public static PtKind Classify(object? root) => root switch
    {
        PtTensor => PtKind.Tensor,
        PyObject o when ModuleWalker.IsModule(o) => PtKind.Module,
        PyDict d when IsStateDict(d) => PtKind.StateDict,
        PyDict d when d.Values.Any(HoldsWeights) => PtKind.Checkpoint,
        _ => PtKind.Object,
    };

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

    private static bool HoldsWeights(object? v) => v switch
    {
        PtTensor => true,
        PyDict d => IsStateDict(d) || d.Values.Any(x => x is PyDict inner && IsStateDict(inner)),
        PyObject o => ModuleWalker.IsModule(o),
        _ => false,
    };
}
