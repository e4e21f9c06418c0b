namespace PtSharp.Onnx;

/// <summary>One model input: its shape and element type.</summary>
/// <param name="Shape">The dimensions, e.g. <c>[1, 3, 224, 224]</c>.</param>
/// <param name="DType">The element type (float32 unless the model takes token ids).</param>
public sealed record OnnxInputSpec(IReadOnlyList<long> Shape, DType DType = DType.Float32)
{
    /// <summary>Parses <c>1,3,224,224</c> or <c>1,16:int64</c>.</summary>
    /// <exception cref="FormatException">The text is not a comma-separated list of positive sizes.</exception>
    public static OnnxInputSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':', 2);
        var dtype = DType.Float32;
        if (parts.Length == 2 && !DTypes.TryParse(parts[1].Trim(), out dtype))
            throw new FormatException($"'{parts[1]}' is not a dtype (float32, int64...)");
        var dims = new List<long>();
        foreach (var d in parts[0].Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(d, System.Globalization.CultureInfo.InvariantCulture, out long n) || n <= 0)
                throw new FormatException($"'{text}' is not a shape like 1,3,224,224");
            dims.Add(n);
        }
        return new OnnxInputSpec(dims, dtype);
    }
}

/// <summary>How <see cref="OnnxConverter"/> converts a model.</summary>
public sealed class OnnxConvertOptions
{
    /// <summary>The inputs of <c>forward</c>, in order (required: shapes drive the conversion).</summary>
    public IReadOnlyList<OnnxInputSpec> Inputs { get; init; } = [];
    /// <summary>The ONNX opset (13-21); 17 by default, as torch.onnx.export's default in torch 2.x.</summary>
    public int Opset { get; init; } = 17;
    /// <summary>
    /// The torchvision architecture of a state dict (<c>resnet18</c>...; see <c>ModuleRegistry.Architectures</c>):
    /// the graph is that architecture's forward, the weights the file's tensors.
    /// </summary>
    public string? Architecture { get; init; }
    /// <summary>Make dimension 0 of inputs and outputs symbolic (<c>batch</c>).</summary>
    public bool DynamicBatch { get; init; }
    /// <summary>Write float32 weights, inputs and outputs as float16.</summary>
    public bool Fp16 { get; init; }
    /// <summary>
    /// Total initializer bytes above which weights go to an external data file (the protobuf limit is 2 GiB).
    /// </summary>
    public long ExternalDataThreshold { get; init; } = (2L << 30) - (64L << 20);
}
