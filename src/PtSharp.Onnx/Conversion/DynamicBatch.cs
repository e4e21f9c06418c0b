using Google.Protobuf;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// <c>--dynamic-batch</c>: the model is converted twice, with batch size B and B+1. The graphs must be identical
/// except for Reshape targets, where the one dimension that follows the batch becomes -1 (Reshape infers it), and
/// input/output dimensions that differ become the symbolic <c>batch</c>. Any other difference (a constant that
/// depends on the batch size) is an error rather than a graph that is only right for one batch size.
/// </summary>
internal static class DynamicBatch
{
    public static void Generalize(GraphRun a, GraphRun b)
    {
        var (ga, gb) = (a.Graph, b.Graph);
        if (ga.Nodes.Count != gb.Nodes.Count || ga.Initializers.Count != gb.Initializers.Count
            || !ga.Nodes.Select(n => n.OpType).SequenceEqual(gb.Nodes.Select(n => n.OpType)))
            throw new OnnxConversionException("the graph changes with the batch size, so --dynamic-batch cannot be honoured");
        var shapeConstants = new HashSet<int>(ga.ShapeConstants);
        for (int i = 0; i < ga.Initializers.Count; i++)
        {
            var (x, y) = (ga.Initializers[i], gb.Initializers[i]);
            if (x.RawData.Equals(y.RawData) && x.Dims.SequenceEqual(y.Dims)) continue;
            var consumer = ga.Nodes.FirstOrDefault(n => n.Input.Contains(x.Name))?.Name ?? x.Name;
            if (!shapeConstants.Contains(i))
                throw new OnnxConversionException($"constant {x.Name} (used by {consumer}) depends on the batch size; "
                    + "--dynamic-batch is not supported for this model");
            var sa = Longs(x);
            var sb = Longs(y);
            var differing = Enumerable.Range(0, sa.Length).Where(k => sa[k] != sb[k]).ToList();
            if (differing.Count != 1 || sa.Contains(-1))
                throw new OnnxConversionException($"the target shape of {consumer} depends on the batch size in more than one "
                    + "place; --dynamic-batch is not supported for this model");
            sa[differing[0]] = -1;
            x.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sa.AsSpan()));
        }
        Mark(a, a.Inputs, b.Inputs, false);
        Mark(a, a.Outputs, b.Outputs, true);
    }

    private static long[] Longs(Proto.TensorProto t)
        => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();

    private static void Mark(GraphRun run, List<TensorValue> xs, List<TensorValue> ys, bool output)
    {
        for (int i = 0; i < xs.Count; i++)
            for (int d = 0; d < xs[i].Rank; d++)
                if (xs[i].Shape[d] != ys[i].Shape[d]) run.DynamicDims.Add((output, i, d));
    }
}
