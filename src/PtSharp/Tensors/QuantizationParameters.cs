namespace PtSharp.Tensors;

/// <summary>How a quantized tensor maps stored integers to real values: <c>real = (q - zero_point) * scale</c>.</summary>
public sealed class QuantizationParameters
{
    internal QuantizationParameters(string scheme, double scale, long zeroPoint)
    {
        Scheme = scheme;
        Scale = scale;
        ZeroPoint = zeroPoint;
    }

    internal QuantizationParameters(string scheme, object scales, object zeroPoints, long axis)
    {
        Scheme = scheme;
        Scales = scales;
        ZeroPoints = zeroPoints;
        Axis = axis;
    }

    /// <summary>torch qscheme name, e.g. <c>per_tensor_affine</c> or <c>per_channel_affine</c>.</summary>
    public string Scheme { get; }
    /// <summary>True for per-channel schemes (then <see cref="Scales"/>, <see cref="ZeroPoints"/> and <see cref="Axis"/> are set).</summary>
    public bool IsPerChannel => Scales is not null;
    /// <summary>Per-tensor scale.</summary>
    public double Scale { get; }
    /// <summary>Per-tensor zero point.</summary>
    public long ZeroPoint { get; }
    /// <summary>Per-channel scales: a <see cref="PtTensor"/> (float64 or float32) or a Python list as the file had it.</summary>
    public object? Scales { get; }
    /// <summary>Per-channel zero points: a <see cref="PtTensor"/> or a Python list.</summary>
    public object? ZeroPoints { get; }
    /// <summary>Channel axis for per-channel schemes.</summary>
    public long Axis { get; }

    /// <inheritdoc/>
    public override string ToString() => Scales is null
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Scheme}(scale={Scale:R}, zero_point={ZeroPoint})")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Scheme}(axis={Axis})");
}
