using PtSharp.Loading;

namespace PtSharp.Optimization;

/// <summary>Whether magnitude pruning ranks each tensor on its own or all selected tensors together.</summary>
public enum PruneScope
{
    /// <summary>Per tensor, as <c>prune.l1_unstructured(module, "weight", amount)</c> on each layer.</summary>
    Layer,
    /// <summary>Over all selected tensors as one vector, as <c>prune.global_unstructured(..., pruning_method=prune.L1Unstructured)</c>.</summary>
    Global,
}

/// <summary>Options for <see cref="MagnitudePruner.Prune"/>.</summary>
public sealed class PruneOptions
{
    /// <summary>
    /// The fraction of elements (unstructured) or output channels (structured) to prune, in [0, 1]; torch rounds
    /// <c>amount × count</c> half to even. Ignored when <see cref="Count"/> is set.
    /// </summary>
    public double Amount { get; set; } = 0.3;

    /// <summary>An absolute number to prune (torch's integer <c>amount</c>), or <see langword="null"/>.</summary>
    public long? Count { get; set; }

    /// <summary>Per tensor or global (unstructured pruning only).</summary>
    public PruneScope Scope { get; set; } = PruneScope.Layer;

    /// <summary>
    /// Prune tensors whose name matches one of these .NET regular expressions. Without any, every floating
    /// <c>*.weight</c> of rank 2 or more (Linear and convolution weights) is pruned.
    /// </summary>
    public IList<string> Include { get; } = [];

    /// <summary>Leave tensors whose name matches one of these regular expressions alone.</summary>
    public IList<string> Exclude { get; } = [];

    /// <summary>Write <c>X_orig</c> + <c>X_mask</c> (the form torch's pruning hooks keep) instead of the pruned <c>X</c>.</summary>
    public bool KeepMask { get; set; }

    /// <summary>Ln-structured pruning of output channels with this norm order (<c>prune.ln_structured(..., n, dim=0)</c>; infinity allowed), or <see langword="null"/> for L1 unstructured.</summary>
    public double? StructuredNorm { get; set; }

    /// <summary>Options for reading .pt input.</summary>
    public PtLoadOptions? PtOptions { get; set; }
}

/// <summary>One pruned (or folded) tensor.</summary>
/// <param name="Name">The tensor's name in the output (<c>fc.weight</c>).</param>
/// <param name="Elements">Its element count.</param>
/// <param name="Pruned">Elements the mask removes.</param>
/// <param name="Zeros">Zero elements of the resulting weight (pruned ones and those that were zero already).</param>
public sealed record PrunedTensor(string Name, long Elements, long Pruned, long Zeros)
{
    /// <summary>Zeros ÷ elements.</summary>
    public double Sparsity => Elements == 0 ? 0 : (double)Zeros / Elements;
}

/// <summary>What <see cref="MagnitudePruner"/> did.</summary>
public sealed class PruneReport
{
    /// <summary>The pruned tensors, in state-dict order.</summary>
    public List<PrunedTensor> Tensors { get; } = [];

    /// <summary>Elements of all pruned tensors.</summary>
    public long TotalElements => Tensors.Sum(t => t.Elements);

    /// <summary>Zeros in all pruned tensors.</summary>
    public long TotalZeros => Tensors.Sum(t => t.Zeros);

    /// <summary>Overall sparsity of the pruned tensors.</summary>
    public double Sparsity => TotalElements == 0 ? 0 : (double)TotalZeros / TotalElements;

    /// <summary>Tensor bytes of the input state dict.</summary>
    public long BytesBefore { get; internal set; }

    /// <summary>Tensor bytes of the output.</summary>
    public long BytesAfter { get; internal set; }

    /// <summary>Things the user should know (rules that matched nothing, values not written, tensors skipped).</summary>
    public List<string> Notes { get; } = [];
}
