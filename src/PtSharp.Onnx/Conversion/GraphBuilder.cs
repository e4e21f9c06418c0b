using Google.Protobuf;
using PtSharp.Onnx.Proto;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// Collects ONNX nodes and initializers while the interpreter runs. Names: initializers from the file keep their
/// state-dict keys (as <c>torch.onnx.export</c> names them), nodes are named after the module path they come from.
/// With <see cref="Fp16"/> every float32 tensor is written as float16.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public GraphBuilder(int opset, bool fp16)
    {
        Opset = opset;
        Fp16 = fp16;
    }

    public int Opset { get; }
    public bool Fp16 { get; }
    public List<NodeProto> Nodes { get; } = [];
    public List<TensorProto> Initializers { get; } = [];
    /// <summary>Indices into <see cref="Initializers"/> of Reshape target shapes (patched for a dynamic batch).</summary>
    public List<int> ShapeConstants { get; } = [];
    /// <summary>The module path of the code running now (node names), e.g. <c>layer1.0.conv1</c>.</summary>
    public string Scope { get; set; } = "";

    public int OnnxType(DType dtype) => OnnxTypes.ToOnnx(Fp16 && dtype == DType.Float32 ? DType.Float16 : dtype);

    public string Reserve(string name)
    {
        string candidate = name;
        while (!_names.Add(candidate))
        {
            _counters.TryGetValue(name, out int n);
            _counters[name] = ++n;
            candidate = $"{name}_{n}";
        }
        return candidate;
    }

    /// <summary>The ONNX name of a tensor, adding its initializer the first time a file or known tensor is used.</summary>
    public string NameOf(TensorValue t)
    {
        if (t.Name is not null) return t.Name;
        if (t.Source is not null)
        {
            var name = Reserve(t.SourceName ?? "const");
            var dtype = Fp16 && t.DType == DType.Float32 ? DType.Float16 : t.DType;
            AddInitializer(name, t.Shape, dtype, TensorBytes.Of(t.Source, Fp16));
            t.Name = name;
            return name;
        }
        if (t.Known is not null)
        {
            var dtype = Fp16 && t.DType == DType.Float32 ? DType.Float16 : t.DType;
            t.Name = Constant(t.Known, t.Shape, dtype);
            return t.Name;
        }
        throw new InvalidOperationException("a tensor has no graph value");
    }

    public string Constant(double[] values, long[] shape, DType dtype, string hint = "const")
    {
        var name = Reserve(Scope.Length == 0 ? hint : $"{Scope}.{hint}");
        AddInitializer(name, shape, dtype, TensorBytes.Of(values, dtype));
        return name;
    }

    /// <summary>A 1-D int64 initializer (axes, pads, shapes...).</summary>
    public string Int64s(IReadOnlyList<long> values, bool reshapeTarget = false)
    {
        var name = Constant(values.Select(v => (double)v).ToArray(), [values.Count], DType.Int64, "shape");
        if (reshapeTarget) ShapeConstants.Add(Initializers.Count - 1);
        return name;
    }

    /// <summary>A scalar constant of the element type of <paramref name="like"/>.</summary>
    public string Scalar(double value, DType like)
    {
        var dtype = Fp16 && like == DType.Float32 ? DType.Float16 : like;
        return Constant([value], [], dtype, "scalar");
    }

    private void AddInitializer(string name, long[] shape, DType dtype, byte[] bytes)
    {
        var t = new TensorProto { Name = name, DataType = OnnxTypes.ToOnnx(dtype), RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(shape);
        Initializers.Add(t);
    }

    /// <summary>Adds a node with one output and returns that output as a tensor of the given shape and dtype.</summary>
    public TensorValue Op(string opType, object?[] inputs, long[] shape, DType dtype, params AttributeProto[] attributes)
        => Ops(opType, inputs, [(shape, dtype)], attributes)[0];

    public TensorValue[] Ops(string opType, object?[] inputs, (long[] Shape, DType DType)[] outputs, params AttributeProto[] attributes)
    {
        string baseName = Scope.Length == 0 ? opType : $"/{Scope.Replace('.', '/')}/{opType}";
        var node = new NodeProto { OpType = opType, Name = Reserve(baseName) };
        foreach (var input in inputs)
        {
            node.Input.Add(input switch
            {
                null => "",
                string s => s,
                TensorValue t => NameOf(t),
                _ => throw new InvalidOperationException($"bad node input {input}"),
            });
        }
        var result = new TensorValue[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            var name = Reserve($"{node.Name}_output_{i}");
            node.Output.Add(name);
            result[i] = new TensorValue(outputs[i].Shape, outputs[i].DType, name);
        }
        node.Attribute.AddRange(attributes);
        Nodes.Add(node);
        return result;
    }

    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, double value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
