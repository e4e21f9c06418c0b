namespace PtSharp.Modules;

/// <summary><c>nn.LSTM</c> or <c>nn.GRU</c>.</summary>
public sealed class RecurrentSpec : ModuleSpec
{
    /// <summary><c>LSTM</c> or <c>GRU</c>.</summary>
    public string Mode { get; internal set; } = "LSTM";
    /// <summary><c>input_size</c>.</summary>
    public long InputSize { get; internal set; }
    /// <summary><c>hidden_size</c>.</summary>
    public long HiddenSize { get; internal set; }
    /// <summary><c>num_layers</c>.</summary>
    public long NumLayers { get; internal set; }
    /// <summary><c>bias</c>.</summary>
    public bool HasBias { get; internal set; }
    /// <summary><c>batch_first</c>.</summary>
    public bool BatchFirst { get; internal set; }
    /// <summary><c>dropout</c>.</summary>
    public double Dropout { get; internal set; }
    /// <summary><c>bidirectional</c>.</summary>
    public bool Bidirectional { get; internal set; }
    /// <summary><c>proj_size</c> (LSTM only; 0 when absent).</summary>
    public long ProjSize { get; internal set; }
}

/// <summary><c>nn.MultiheadAttention</c>.</summary>
public sealed class MultiheadAttentionSpec : ModuleSpec
{
    /// <summary><c>embed_dim</c>.</summary>
    public long EmbedDim { get; internal set; }
    /// <summary><c>num_heads</c>.</summary>
    public long NumHeads { get; internal set; }
    /// <summary><c>dropout</c>.</summary>
    public double Dropout { get; internal set; }
    /// <summary>True when <c>in_proj_bias</c> is present.</summary>
    public bool HasBias { get; internal set; }
    /// <summary>True when <c>bias_k</c>/<c>bias_v</c> are present.</summary>
    public bool AddBiasKv { get; internal set; }
    /// <summary><c>add_zero_attn</c>.</summary>
    public bool AddZeroAttn { get; internal set; }
    /// <summary><c>kdim</c>.</summary>
    public long KDim { get; internal set; }
    /// <summary><c>vdim</c>.</summary>
    public long VDim { get; internal set; }
    /// <summary><c>batch_first</c>.</summary>
    public bool BatchFirst { get; internal set; }
}

/// <summary><c>nn.TransformerEncoderLayer</c>.</summary>
public sealed class TransformerEncoderLayerSpec : ModuleSpec
{
    /// <summary>The model width (<c>self_attn.embed_dim</c>).</summary>
    public long DModel { get; internal set; }
    /// <summary><c>self_attn.num_heads</c>.</summary>
    public long NHead { get; internal set; }
    /// <summary><c>linear1.out_features</c>.</summary>
    public long DimFeedforward { get; internal set; }
    /// <summary>The dropout probability (<c>dropout.p</c>).</summary>
    public double Dropout { get; internal set; }
    /// <summary><c>relu</c> or <c>gelu</c>.</summary>
    public string Activation { get; internal set; } = "relu";
    /// <summary><c>norm1.eps</c>.</summary>
    public double LayerNormEps { get; internal set; }
    /// <summary><c>norm_first</c>.</summary>
    public bool NormFirst { get; internal set; }
    /// <summary><c>self_attn.batch_first</c>.</summary>
    public bool BatchFirst { get; internal set; }
}

/// <summary><c>nn.TransformerEncoder</c>: <c>layers</c> (a ModuleList) and an optional final <c>norm</c>.</summary>
public sealed class TransformerEncoderSpec : ModuleSpec
{
    /// <summary><c>num_layers</c>.</summary>
    public long NumLayers { get; internal set; }
}
