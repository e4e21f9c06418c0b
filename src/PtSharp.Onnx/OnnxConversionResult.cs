namespace PtSharp.Onnx;

/// <summary>What a conversion produced.</summary>
/// <param name="NodeCount">Graph nodes.</param>
/// <param name="InitializerCount">Initializers (weights and constants).</param>
/// <param name="OpCounts">Nodes per ONNX op type.</param>
/// <param name="ExternalDataPath">The external data file, when the weights were too large for one protobuf.</param>
public sealed record OnnxConversionResult(int NodeCount, int InitializerCount,
    IReadOnlyDictionary<string, int> OpCounts, string? ExternalDataPath)
{
    /// <summary>The shapes of the graph inputs, in order (-1 for a symbolic dimension such as <c>batch</c>).</summary>
    public IReadOnlyList<IReadOnlyList<long>> InputShapes { get; init; } = [];
}
