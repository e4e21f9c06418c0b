using PtSharp.Pickle;

namespace PtSharp;

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

    /// <summary>A non-empty mapping from string keys to tensors (None values allowed, as in some saved state dicts).</summary>
    public static bool IsStateDict(PyDict d) =>
        d.Count > 0 && d.All(kv => kv.Key is string && kv.Value is PtTensor or null) && d.Values.Any(v => v is PtTensor);

    private static bool HoldsWeights(object? v) => v switch
    {
        PtTensor => true,
        PyDict d => IsStateDict(d) || d.Values.Any(x => x is PyDict inner && IsStateDict(inner)),
        PyObject o => ModuleWalker.IsModule(o),
        _ => false,
    };
}
