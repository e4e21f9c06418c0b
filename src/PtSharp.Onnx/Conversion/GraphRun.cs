using PtSharp.Onnx.Proto;

namespace PtSharp.Onnx.Conversion;

/// <summary>One abstract run of <c>forward</c>: the graph built, its input and output tensors; becomes the ModelProto.</summary>
internal sealed class GraphRun(GraphBuilder graph, List<TensorValue> inputs, List<TensorValue> outputs)
{
    public GraphBuilder Graph { get; } = graph;
    public List<TensorValue> Inputs { get; } = inputs;
    public List<TensorValue> Outputs { get; } = outputs;
    /// <summary>Per input and output, the dimensions that are symbolic (<c>batch</c>).</summary>
    public HashSet<(bool Output, int Index, int Dim)> DynamicDims { get; } = [];

    public ModelProto ToModel(int opset)
    {
        var g = new GraphProto { Name = "main_graph" };
        g.Node.AddRange(Graph.Nodes);
        g.Initializer.AddRange(Graph.Initializers);
        var graphInputs = new HashSet<string>(Inputs.Select(i => i.Name!), StringComparer.Ordinal);
        var initializers = new HashSet<string>(Graph.Initializers.Select(i => i.Name), StringComparer.Ordinal);
        for (int i = 0; i < Inputs.Count; i++) g.Input.Add(ValueInfo(Inputs[i].Name!, Inputs[i], false, i));
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Outputs.Count; i++)
        {
            var t = Outputs[i];
            string want = Outputs.Count == 1 ? "output" : $"output_{i}";
            string name = Graph.NameOf(t);
            if (graphInputs.Contains(name) || initializers.Contains(name) || !used.Add(name))
            {
                var node = new NodeProto { OpType = "Identity", Name = Graph.Reserve("Identity"), Input = { name }, Output = { want } };
                g.Node.Add(node);
            }
            else Rename(g, name, want);
            g.Output.Add(ValueInfo(want, t, true, i));
        }
        var model = new ModelProto
        {
            IrVersion = opset <= 17 ? 8 : opset <= 19 ? 9 : 10,
            ProducerName = "PtSharp",
            ProducerVersion = typeof(GraphRun).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static void Rename(GraphProto g, string from, string to)
    {
        foreach (var n in g.Node)
        {
            for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == from) n.Input[i] = to;
            for (int i = 0; i < n.Output.Count; i++) if (n.Output[i] == from) n.Output[i] = to;
        }
    }

    private ValueInfoProto ValueInfo(string name, TensorValue t, bool output, int index)
    {
        var shape = new TensorShapeProto();
        for (int d = 0; d < t.Rank; d++)
        {
            shape.Dim.Add(DynamicDims.Contains((output, index, d))
                ? new TensorShapeProto.Types.Dimension { DimParam = "batch" }
                : new TensorShapeProto.Types.Dimension { DimValue = t.Shape[d] });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Graph.OnnxType(t.DType), Shape = shape } },
        };
    }
}
