namespace PtSharp.Modules;

/// <summary><c>nn.MaxPool1d/2d</c> or <c>nn.AvgPool1d/2d</c>.</summary>
public sealed class PoolSpec : ModuleSpec
{
    /// <summary>True for max pooling, false for average pooling.</summary>
    public bool IsMax { get; internal set; }
    /// <summary>1 or 2.</summary>
    public int Rank { get; internal set; }
    /// <summary><c>kernel_size</c>.</summary>
    public long[] KernelSize { get; internal set; } = [];
    /// <summary><c>stride</c> (torch's default: the kernel size).</summary>
    public long[] Stride { get; internal set; } = [];
    /// <summary><c>padding</c>.</summary>
    public long[] Padding { get; internal set; } = [];
    /// <summary><c>dilation</c> (max pooling only; ones otherwise).</summary>
    public long[] Dilation { get; internal set; } = [];
    /// <summary><c>ceil_mode</c>.</summary>
    public bool CeilMode { get; internal set; }
    /// <summary><c>count_include_pad</c> (average pooling).</summary>
    public bool CountIncludePad { get; internal set; } = true;
    /// <summary><c>divisor_override</c> (average pooling).</summary>
    public long? DivisorOverride { get; internal set; }
}

/// <summary><c>nn.AdaptiveAvgPool1d/2d</c> or <c>nn.AdaptiveMaxPool1d/2d</c>.</summary>
public sealed class AdaptivePoolSpec : ModuleSpec
{
    /// <summary>True for max pooling, false for average pooling.</summary>
    public bool IsMax { get; internal set; }
    /// <summary>1 or 2.</summary>
    public int Rank { get; internal set; }
    /// <summary><c>output_size</c>; a <see langword="null"/> entry keeps the input's size.</summary>
    public long?[] OutputSize { get; internal set; } = [];
}
