using Google.Protobuf;
using PtSharp.Onnx.Conversion;
using PtSharp.Onnx.Proto;

namespace PtSharp.Onnx;

/// <summary>What <see cref="OnnxWeightRefresher.Refresh"/> changed.</summary>
/// <param name="Updated">Initializers whose values were replaced.</param>
/// <param name="Untouched">Initializers with no tensor of that name in the .pt (graph constants such as shapes).</param>
public sealed record OnnxRefreshResult(int Updated, IReadOnlyList<string> Untouched);

/// <summary>
/// <c>pt convert new.pt out.onnx --like model.onnx</c>: an existing ONNX file with its initializers replaced by the
/// .pt's tensors of the same name (torch.onnx.export names initializers by state-dict keys). Shapes and dtypes
/// must match; the graph is not touched. Every weight of the .pt must find its initializer: when the export folded
/// weights (BatchNorm into Conv in eval-mode exports), refreshing by name would leave stale weights, so it fails.
/// </summary>
public static class OnnxWeightRefresher
{
    /// <summary>Writes <paramref name="outPath"/> (atomically): <paramref name="likePath"/> with weights from <paramref name="ptPath"/>.</summary>
    /// <exception cref="OnnxConversionException">A shape or dtype differs, or some weights have no initializer.</exception>
    public static OnnxRefreshResult Refresh(string ptPath, string likePath, string outPath)
    {
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(likePath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxConversionException($"{likePath} is not an ONNX model: {e.Message}");
        }
        using var file = PtFile.Open(ptPath);
        var tensors = new Dictionary<string, PtTensor>(StringComparer.Ordinal);
        foreach (var t in file.StateDict) tensors.TryAdd(t.Name, t.Tensor);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var untouched = new List<string>();
        int updated = 0;
        foreach (var init in model.Graph.Initializer)
        {
            if (!tensors.TryGetValue(init.Name, out var tensor)) { untouched.Add(init.Name); continue; }
            if (init.DataLocation == TensorProto.Types.DataLocation.External)
                throw new OnnxConversionException($"initializer {init.Name} is stored in external data, which --like does not rewrite yet");
            if (!init.Dims.SequenceEqual(tensor.Shape))
                throw new OnnxConversionException($"{init.Name}: the ONNX initializer is [{string.Join(", ", init.Dims)}], "
                    + $"the .pt tensor [{string.Join(", ", tensor.Shape)}]");
            var dtype = OnnxTypes.FromOnnx(init.DataType);
            bool toHalf = dtype == DType.Float16 && tensor.DType == DType.Float32;
            if (dtype != tensor.DType && !toHalf)
                throw new OnnxConversionException($"{init.Name}: the ONNX initializer is {dtype?.Name() ?? "type " + init.DataType}, "
                    + $"the .pt tensor {tensor.DType.Name()}");
            var bytes = TensorBytes.Of(tensor, toHalf);
            init.FloatData.Clear();
            init.Int32Data.Clear();
            init.Int64Data.Clear();
            init.DoubleData.Clear();
            init.Uint64Data.Clear();
            init.RawData = ByteString.CopyFrom(bytes);
            used.Add(init.Name);
            updated++;
        }
        var missing = tensors.Keys.Where(k => !used.Contains(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
            throw new OnnxConversionException($"{missing.Count} tensor(s) of {Path.GetFileName(ptPath)} have no initializer of that name in "
                + $"{Path.GetFileName(likePath)} (first: {string.Join(", ", missing.Take(3))}); the export probably folded them "
                + "(e.g. BatchNorm into Conv): export with training=torch.onnx.TrainingMode.PRESERVE, or convert the .pt itself");
        if (updated == 0) throw new OnnxConversionException($"no initializer of {likePath} matches a tensor name of {ptPath}");
        OnnxModelWriter.WriteAtomically(Path.GetFullPath(outPath), s => model.WriteTo(s));
        return new OnnxRefreshResult(updated, untouched);
    }
}
