namespace PtSharp.TorchSharp;

/// <summary>
/// A file's state dict does not fit a TorchSharp module: the message lists every missing, unexpected and
/// mismatched (shape or dtype) key.
/// </summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception from the three lists.</summary>
    public StateDictMismatchException(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
        : base(Compose(missing, unexpected, mismatched))
    {
        Missing = missing;
        Unexpected = unexpected;
        Mismatched = mismatched;
    }

    /// <summary>Keys the module has and the file lacks.</summary>
    public IReadOnlyList<string> Missing { get; }
    /// <summary>Keys the file has and the module lacks.</summary>
    public IReadOnlyList<string> Unexpected { get; }
    /// <summary>Keys present in both whose shape or dtype differ, each as <c>key: file [..] float16, module [..] float32</c>.</summary>
    public IReadOnlyList<string> Mismatched { get; }

    private static string Compose(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing keys ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected keys ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (mismatched.Count > 0) parts.Add($"mismatched ({mismatched.Count}): {string.Join("; ", mismatched)}");
        return "the state dict does not fit the module: " + string.Join("; ", parts);
    }
}
