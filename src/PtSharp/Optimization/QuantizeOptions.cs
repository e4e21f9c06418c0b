using PtSharp.Loading;

namespace PtSharp.Optimization;

/// <summary>
/// The weight-only formats <see cref="DynamicQuantizer"/> writes to safetensors (see docs/optimize.md).
/// </summary>
public enum WeightOnlyFormat
{
    /// <summary>int8 weights, symmetric per output channel: <c>w ≈ q × scale</c>, <c>q</c> in [-127, 127].</summary>
    Int8,
    /// <summary>float8_e4m3fn weights scaled per output channel so the largest magnitude is 448.</summary>
    Float8E4M3FN,
}

/// <summary>
/// The module types <see cref="DynamicQuantizer"/> quantizes, as the set passed to <c>quantize_dynamic(model,
/// {nn.Linear, nn.LSTM, nn.GRU})</c>.
/// </summary>
[Flags]
public enum QuantizedModuleTypes
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary><c>nn.Linear</c>.</summary>
    Linear = 1,
    /// <summary><c>nn.LSTM</c>.</summary>
    Lstm = 2,
    /// <summary><c>nn.GRU</c>.</summary>
    Gru = 4,
    /// <summary><c>nn.LSTM</c> and <c>nn.GRU</c>.</summary>
    Recurrent = Lstm | Gru,
    /// <summary>Linear, LSTM and GRU (the default).</summary>
    All = Linear | Lstm | Gru,
}

/// <summary>Options for <see cref="DynamicQuantizer.Quantize"/>.</summary>
public sealed class QuantizeOptions
{
    /// <summary>
    /// Quantize only layers whose module name (<c>encoder.0.fc</c>, <c>rnn</c>) matches one of these .NET regular
    /// expressions.
    /// </summary>
    public IList<string> Include { get; } = [];

    /// <summary>Leave layers whose module name matches one of these regular expressions in float.</summary>
    public IList<string> Exclude { get; } = [];

    /// <summary>
    /// The module types to quantize (default all: Linear, LSTM, GRU). Weight-only output quantizes Linear layers
    /// only.
    /// </summary>
    public QuantizedModuleTypes Types { get; set; } = QuantizedModuleTypes.All;

    /// <summary>
    /// Per-channel scales (torch's <c>per_channel_dynamic_qconfig</c>) instead of one scale per tensor.
    /// </summary>
    public bool PerChannel { get; set; }

    /// <summary>
    /// Write a weight-only quantized safetensors file in this format instead of a torch dynamic-quantized state dict.
    /// </summary>
    public WeightOnlyFormat? WeightOnly { get; set; }

    /// <summary>Options for reading .pt input.</summary>
    public PtLoadOptions? PtOptions { get; set; }
}

/// <summary>One quantized layer (or, for an LSTM/GRU, one of its weights).</summary>
/// <param name="Module">The module name (<c>fc</c>).</param>
/// <param name="Shape">The weight's shape.</param>
/// <param name="Scheme"><c>per_tensor_affine</c>, <c>per_channel_affine</c>, or the weight-only format.</param>
/// <param name="Scale">The scale (per tensor), or the largest per-channel scale.</param>
/// <param name="MaxAbsError">Largest |w − dequantize(q)| over the weight.</param>
/// <param name="MeanAbsError">Mean |w − dequantize(q)| over the weight.</param>
public sealed record QuantizedLayer(string Module, IReadOnlyList<long> Shape, string Scheme, double Scale,
    double MaxAbsError, double MeanAbsError)
{
    /// <summary><c>Linear</c>, <c>LSTM</c> or <c>GRU</c>: the module type.</summary>
    public string Kind { get; init; } = "Linear";

    /// <summary>
    /// The float weight's state-dict key (<c>fc.weight</c>, <c>rnn.weight_hh_l0_reverse</c>): an LSTM/GRU has one
    /// line per weight.
    /// </summary>
    public string Weight { get; init; } = "";
}

/// <summary>What <see cref="DynamicQuantizer.Quantize"/> did.</summary>
public sealed class QuantizeReport
{
    /// <summary>The quantized layers, in state-dict order.</summary>
    public List<QuantizedLayer> Layers { get; } = [];

    /// <summary>
    /// True when layers were found from a pickled model's module tree, false when from the key pattern.
    /// </summary>
    public bool FromModuleTree { get; internal set; }

    /// <summary>Tensor bytes of the input state dict.</summary>
    public long BytesBefore { get; internal set; }

    /// <summary>Tensor bytes of the output.</summary>
    public long BytesAfter { get; internal set; }

    /// <summary>Things the user should know (rules that matched nothing, values of the input not written).</summary>
    public List<string> Notes { get; } = [];
}
