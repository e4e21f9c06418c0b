namespace PtSharp.Modules;

/// <summary><c>nn.Linear</c>.</summary>
public sealed class LinearSpec : ModuleSpec
{
    /// <summary><c>in_features</c>.</summary>
    public long InFeatures { get; internal set; }
    /// <summary><c>out_features</c>.</summary>
    public long OutFeatures { get; internal set; }
    /// <summary>True when the module has a bias parameter.</summary>
    public bool HasBias { get; internal set; }
}

/// <summary><c>nn.Conv1d</c> / <c>nn.Conv2d</c> (<see cref="Rank"/> 1 or 2).</summary>
public sealed class ConvSpec : ModuleSpec
{
    /// <summary>Spatial rank: 1 for Conv1d, 2 for Conv2d.</summary>
    public int Rank { get; internal set; }
    /// <summary><c>in_channels</c>.</summary>
    public long InChannels { get; internal set; }
    /// <summary><c>out_channels</c>.</summary>
    public long OutChannels { get; internal set; }
    /// <summary><c>kernel_size</c>, one value per spatial dimension.</summary>
    public long[] KernelSize { get; internal set; } = [];
    /// <summary><c>stride</c>.</summary>
    public long[] Stride { get; internal set; } = [];
    /// <summary><c>padding</c> as numbers (empty when <see cref="PaddingText"/> is set).</summary>
    public long[] Padding { get; internal set; } = [];
    /// <summary><c>padding</c> given as <c>'same'</c> or <c>'valid'</c>, else <see langword="null"/>.</summary>
    public string? PaddingText { get; internal set; }
    /// <summary><c>dilation</c>.</summary>
    public long[] Dilation { get; internal set; } = [];
    /// <summary><c>groups</c>.</summary>
    public long Groups { get; internal set; }
    /// <summary><c>padding_mode</c>: zeros, reflect, replicate or circular.</summary>
    public string PaddingMode { get; internal set; } = "zeros";
    /// <summary>True when the module has a bias parameter.</summary>
    public bool HasBias { get; internal set; }
}

/// <summary><c>nn.BatchNorm1d</c> / <c>nn.BatchNorm2d</c>.</summary>
public sealed class BatchNormSpec : ModuleSpec
{
    /// <summary>1 or 2.</summary>
    public int Rank { get; internal set; }
    /// <summary><c>num_features</c>.</summary>
    public long NumFeatures { get; internal set; }
    /// <summary><c>eps</c>.</summary>
    public double Eps { get; internal set; }
    /// <summary><c>momentum</c> (<see langword="null"/> means a cumulative average).</summary>
    public double? Momentum { get; internal set; }
    /// <summary><c>affine</c>.</summary>
    public bool Affine { get; internal set; }
    /// <summary><c>track_running_stats</c>.</summary>
    public bool TrackRunningStats { get; internal set; }
}

/// <summary><c>nn.LayerNorm</c>.</summary>
public sealed class LayerNormSpec : ModuleSpec
{
    /// <summary><c>normalized_shape</c>.</summary>
    public long[] NormalizedShape { get; internal set; } = [];
    /// <summary><c>eps</c>.</summary>
    public double Eps { get; internal set; }
    /// <summary><c>elementwise_affine</c>.</summary>
    public bool ElementwiseAffine { get; internal set; }
    /// <summary>True when the module has a bias parameter.</summary>
    public bool HasBias { get; internal set; }
}

/// <summary><c>nn.GroupNorm</c>.</summary>
public sealed class GroupNormSpec : ModuleSpec
{
    /// <summary><c>num_groups</c>.</summary>
    public long NumGroups { get; internal set; }
    /// <summary><c>num_channels</c>.</summary>
    public long NumChannels { get; internal set; }
    /// <summary><c>eps</c>.</summary>
    public double Eps { get; internal set; }
    /// <summary><c>affine</c>.</summary>
    public bool Affine { get; internal set; }
}

/// <summary><c>nn.Embedding</c>.</summary>
public sealed class EmbeddingSpec : ModuleSpec
{
    /// <summary><c>num_embeddings</c>.</summary>
    public long NumEmbeddings { get; internal set; }
    /// <summary><c>embedding_dim</c>.</summary>
    public long EmbeddingDim { get; internal set; }
    /// <summary><c>padding_idx</c>.</summary>
    public long? PaddingIdx { get; internal set; }
    /// <summary><c>max_norm</c>.</summary>
    public double? MaxNorm { get; internal set; }
    /// <summary><c>norm_type</c>.</summary>
    public double NormType { get; internal set; } = 2;
    /// <summary><c>scale_grad_by_freq</c>.</summary>
    public bool ScaleGradByFreq { get; internal set; }
    /// <summary><c>sparse</c>.</summary>
    public bool Sparse { get; internal set; }
}

/// <summary><c>nn.Dropout</c>, <c>Dropout1d/2d</c>, <c>AlphaDropout</c>: the identity in evaluation mode.</summary>
public sealed class DropoutSpec : ModuleSpec
{
    /// <summary><c>p</c>.</summary>
    public double P { get; internal set; }
    /// <summary><c>inplace</c>.</summary>
    public bool InPlace { get; internal set; }
}
