using PtSharp.Onnx.Conversion;
using PtSharp.Onnx.Proto;
using PtSharp.Onnx.Script;

namespace PtSharp.Onnx;

/// <summary>
/// Converts a TorchScript archive (<c>torch.jit.trace</c> / <c>torch.jit.script</c> output) to ONNX without Python:
/// the serialized TorchScript code is parsed, run abstractly for the given input shapes with submodule calls inlined,
/// and its aten ops are mapped to ONNX nodes. Complete pickled models of torch.nn layers and torchvision
/// architectures, and state dicts with <see cref="OnnxConvertOptions.Architecture"/>, get the known forward.
/// Initializers are named by state-dict keys, as torch.onnx.export names them.
/// </summary>
public static class OnnxConverter
{
    /// <summary>Converts <paramref name="ptPath"/> and writes <paramref name="onnxPath"/> atomically.</summary>
    /// <exception cref="OnnxConversionException">
    /// The model is outside the supported subset; nothing is written.
    /// </exception>
    /// <exception cref="PtFormatException">The input is not a readable .pt file.</exception>
    public static OnnxConversionResult Convert(string ptPath, string onnxPath, OnnxConvertOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = PtFile.Open(ptPath);
        var model = Build(file, options);
        string? data = OnnxModelWriter.Write(model, onnxPath, options.ExternalDataThreshold);
        var counts = model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        var shapes = model.Graph.Input.Select(i => (IReadOnlyList<long>)i.Type.TensorType.Shape.Dim
            .Select(d => d.ValueCase == Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
                ? d.DimValue : -1).ToList()).ToList();
        return new OnnxConversionResult(model.Graph.Node.Count, model.Graph.Initializer.Count, counts, data)
        {
            InputShapes = shapes,
        };
    }

    internal static ModelProto Build(PtFile file, OnnxConvertOptions options)
    {
        if (options.Opset is < 13 or > 21)
            throw new OnnxConversionException($"opset {options.Opset} is not supported (13-21)");
        if (file.Format != PtFormat.TorchScript || options.Architecture is not null)
            return ModuleSource.Build(file, options);
        if (options.Inputs.Count == 0)
            throw new OnnxConversionException(
                "the input shapes are needed: pass --input-shape (e.g. 1,3,224,224) for each input");
        var library = ScriptLibrary.Load(file);
        var run = Run(file, library, options, options.Inputs);
        if (options.DynamicBatch)
        {
            var bigger = Bigger(options.Inputs);
            DynamicBatch.Generalize(run, Run(file, library, options, bigger));
        }
        return run.ToModel(options.Opset);
    }

    internal static List<OnnxInputSpec> Bigger(IReadOnlyList<OnnxInputSpec> inputs) =>
        inputs.Select(i => i with { Shape = i.Shape.Select((d, k) => k == 0 ? d + 1 : d).ToArray() }).ToList();

    private static GraphRun Run(PtFile file, ScriptLibrary library, OnnxConvertOptions options,
        IReadOnlyList<OnnxInputSpec> inputs)
    {
        var graph = new GraphBuilder(options.Opset, options.Fp16);
        var it = new Interpreter(library, graph, file);
        var root = it.RootModule();
        if (!root.Class.Methods.TryGetValue("forward", out var forward))
            throw new OnnxConversionException($"{root.Class.QualifiedName} has no forward method", root.Class.Record);
        var parameters = forward.Parameters.Skip(1).ToList();
        if (parameters.Count != inputs.Count)
            throw new OnnxConversionException($"forward takes {parameters.Count} input(s) "
                + $"({string.Join(", ", parameters.Select(p => p.Name))}), "
                + $"{inputs.Count} --input-shape given", forward.Record, forward.Line);
        var args = new List<object?>();
        var inputValues = new List<TensorValue>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var t = new TensorValue(inputs[i].Shape.ToArray(), inputs[i].DType, graph.Reserve(parameters[i].Name));
            inputValues.Add(t);
            args.Add(t);
        }
        var result = it.CallMethod(root, "forward", args, []);
        var outputs = Flatten(result, forward);
        return new GraphRun(graph, inputValues, outputs);
    }

    private static List<TensorValue> Flatten(object? result, FunctionDef forward)
    {
        var list = new List<TensorValue>();
        void Add(object? v)
        {
            switch (v)
            {
                case TensorValue t: list.Add(t); break;
                case TupleValue tv: foreach (var x in tv.Items) Add(x); break;
                case List<object?> l: foreach (var x in l) Add(x); break;
                default:
                    throw new OnnxConversionException(
                        $"forward returns {Interpreter.Describe(v)}; ONNX outputs must be tensors",
                        forward.Record, forward.Line);
            }
        }
        Add(result);
        return list;
    }
}
