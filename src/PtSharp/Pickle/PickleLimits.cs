namespace PtSharp.Pickle;

/// <summary>Safety limits of the pickle machine. Defaults are generous for real checkpoints and small for attacks.</summary>
public sealed class PickleLimits
{
    /// <summary>Most values on the stack at once (default 4,000,000).</summary>
    public int MaxStackSize { get; set; } = 4_000_000;
    /// <summary>Most open MARKs at once (default 100,000).</summary>
    public int MaxMarkDepth { get; set; } = 100_000;
    /// <summary>Most memo entries (default 4,000,000).</summary>
    public int MaxMemoEntries { get; set; } = 4_000_000;
    /// <summary>Most decimal digits in a text-protocol integer, as CPython's int_max_str_digits (default 4300).</summary>
    public int MaxIntegerDigits { get; set; } = 4300;
    /// <summary>Most nesting levels followed when walking the object tree after loading (default 1000).</summary>
    public int MaxWalkDepth { get; set; } = 1000;
    /// <summary>
    /// Most steps of one walk over the object tree after loading (default 50,000,000): each container is walked
    /// once, so this bounds the work by the pickle's size; a walk past it throws a LimitExceeded error.
    /// </summary>
    public long MaxWalkSteps { get; set; } = 50_000_000;
}
