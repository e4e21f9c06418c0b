using static PtSharp.Onnx.Conversion.GraphBuilder;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// aten ops → ONNX nodes (opset 13-21), with static shape inference so that sizes stay conversion-time values.
/// The mapping follows torch.onnx's TorchScript exporter (symbolic_opset9..17). An op not listed is an error.
/// </summary>
internal sealed partial class AtenOps
{
    private readonly GraphBuilder _g;

    public AtenOps(GraphBuilder graph) => _g = graph;

    /// <summary>The aten ops this converter maps (in-place variants <c>op_</c> included), for docs and tests.</summary>
    public static IReadOnlyCollection<string> Supported => Schemas.Keys;

    private static readonly Dictionary<string, string[]> Schemas = new(StringComparer.Ordinal)
    {
        ["linear"] = ["input", "weight", "bias"],
        ["addmm"] = ["self", "mat1", "mat2", "beta", "alpha"],
        ["matmul"] = ["self", "other"], ["bmm"] = ["self", "mat2"], ["mm"] = ["self", "mat2"],
        ["t"] = ["self"],
        ["_convolution"] = ["input", "weight", "bias", "stride", "padding", "dilation", "transposed", "output_padding",
            "groups", "benchmark", "deterministic", "cudnn_enabled", "allow_tf32"],
        ["conv1d"] = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
        ["conv2d"] = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
        ["conv3d"] = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
        ["batch_norm"] = ["input", "weight", "bias", "running_mean", "running_var", "training", "momentum", "eps", "cudnn_enabled"],
        ["layer_norm"] = ["input", "normalized_shape", "weight", "bias", "eps", "cudnn_enable"],
        ["group_norm"] = ["input", "num_groups", "weight", "bias", "eps", "cudnn_enabled"],
        ["relu"] = ["self"], ["sigmoid"] = ["self"], ["tanh"] = ["self"], ["hardswish"] = ["self"],
        ["hardsigmoid"] = ["self"], ["silu"] = ["self"], ["gelu"] = ["self", "approximate"],
        ["hardtanh"] = ["self", "min_val", "max_val"], ["relu6"] = ["self"], ["leaky_relu"] = ["self", "negative_slope"],
        ["exp"] = ["self"], ["log"] = ["self"], ["abs"] = ["self"], ["erf"] = ["self"], ["sqrt"] = ["self"],
        ["rsqrt"] = ["self"], ["neg"] = ["self"], ["reciprocal"] = ["self"],
        ["softmax"] = ["self", "dim", "dtype"], ["log_softmax"] = ["self", "dim", "dtype"],
        ["max_pool2d"] = ["self", "kernel_size", "stride", "padding", "dilation", "ceil_mode"],
        ["avg_pool2d"] = ["self", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
        ["adaptive_avg_pool2d"] = ["self", "output_size"],
        ["flatten"] = ["self", "start_dim", "end_dim"],
        ["view"] = ["self", "size"], ["reshape"] = ["self", "shape"], ["permute"] = ["self", "dims"],
        ["transpose"] = ["self", "dim0", "dim1"], ["contiguous"] = ["self", "memory_format"],
        ["squeeze"] = ["self", "dim"], ["unsqueeze"] = ["self", "dim"], ["unflatten"] = ["self", "dim", "sizes"],
        ["add"] = ["self", "other", "alpha"], ["sub"] = ["self", "other", "alpha"], ["rsub"] = ["self", "other", "alpha"],
        ["mul"] = ["self", "other"], ["div"] = ["self", "other", "rounding_mode"], ["pow"] = ["self", "exponent"],
        ["floordiv"] = ["self", "other"],
        ["eq"] = ["self", "other"], ["ne"] = ["self", "other"], ["lt"] = ["self", "other"], ["gt"] = ["self", "other"],
        ["le"] = ["self", "other"], ["ge"] = ["self", "other"],
        ["cat"] = ["tensors", "dim"], ["stack"] = ["tensors", "dim"], ["chunk"] = ["self", "chunks", "dim"],
        ["split"] = ["self", "split_size", "dim"], ["split_with_sizes"] = ["self", "split_sizes", "dim"],
        ["unsafe_split"] = ["self", "split_size", "dim"], ["unsafe_chunk"] = ["self", "chunks", "dim"], ["slice"] = ["self", "dim", "start", "end", "step"],
        ["select"] = ["self", "dim", "index"],
        ["embedding"] = ["weight", "indices", "padding_idx", "scale_grad_by_freq", "sparse"],
        ["dropout"] = ["input", "p", "train"], ["feature_dropout"] = ["input", "p", "train"],
        ["alpha_dropout"] = ["input", "p", "train"],
        ["mean"] = ["self", "dim", "keepdim", "dtype"], ["sum"] = ["self", "dim", "keepdim", "dtype"],
        ["to"] = ["self", "a1", "a2", "a3", "a4", "a5"], ["type_as"] = ["self", "other"],
        ["detach"] = ["self"], ["clone"] = ["self", "memory_format"],
        ["scaled_dot_product_attention"] = ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"],
    };

    public object? Call(Interpreter it, string op, List<object?> args, List<(string, object?)> kwargs)
    {
        string name = op.EndsWith('_') && !op.StartsWith('_') && Schemas.ContainsKey(op[..^1]) ? op[..^1] : op;
        if (!Schemas.TryGetValue(name, out var schema))
            throw it.Error("this op has no ONNX mapping in PtSharp", OpArgs.Aten(op));
        var a = new OpArgs(it, name, schema, args, kwargs);
        var result = Dispatch(it, name, a);
        return result;
    }

    private object? Dispatch(Interpreter it, string op, OpArgs a) => op switch
    {
        "linear" => Linear(it, a.Tensor(0), a.Tensor(1), a.OptTensor(2)),
        "addmm" => Addmm(it, a),
        "matmul" or "bmm" or "mm" => MatMul(it, a.Tensor(0), a.Tensor(1)),
        "t" => a.Tensor(0).Rank < 2 ? a.Tensor(0) : Transpose(a.Tensor(0), [1, 0]),
        "_convolution" => Convolution(it, a, true),
        "conv1d" or "conv2d" or "conv3d" => Convolution(it, a, false),
        "batch_norm" => BatchNorm(it, a),
        "layer_norm" => LayerNorm(it, a),
        "group_norm" => GroupNorm(it, a),
        "relu" => Unary("Relu", a.Tensor(0)),
        "sigmoid" => Unary("Sigmoid", a.Tensor(0)),
        "tanh" => Unary("Tanh", a.Tensor(0)),
        "hardswish" => Unary("HardSwish", a.Tensor(0)),
        "hardsigmoid" => Unary("HardSigmoid", a.Tensor(0), Float("alpha", 1.0 / 6), Float("beta", 0.5)),
        "silu" => Binary("Mul", a.Tensor(0), Unary("Sigmoid", a.Tensor(0))),
        "gelu" => Gelu(it, a),
        "hardtanh" => Clip(a.Tensor(0), a.Double(1, -1), a.Double(2, 1)),
        "relu6" => Clip(a.Tensor(0), 0, 6),
        "leaky_relu" => Unary("LeakyRelu", a.Tensor(0), Float("alpha", a.Double(1, 0.01))),
        "exp" => Unary("Exp", a.Tensor(0)),
        "log" => Unary("Log", a.Tensor(0)),
        "abs" => Unary("Abs", a.Tensor(0)),
        "erf" => Unary("Erf", a.Tensor(0)),
        "sqrt" => Unary("Sqrt", a.Tensor(0)),
        "rsqrt" => Unary("Reciprocal", Unary("Sqrt", a.Tensor(0))),
        "neg" => Unary("Neg", a.Tensor(0)),
        "reciprocal" => Unary("Reciprocal", a.Tensor(0)),
        "softmax" or "log_softmax" => Softmax(it, a, op == "softmax" ? "Softmax" : "LogSoftmax"),
        "max_pool2d" => Pool(it, a, "MaxPool"),
        "avg_pool2d" => Pool(it, a, "AveragePool"),
        "adaptive_avg_pool2d" => AdaptiveAvgPool(it, a),
        "flatten" => Flatten(it, a),
        "view" or "reshape" => Reshape(it, a.Tensor(0), a.Longs(1)),
        "permute" => Permute(it, a),
        "transpose" => TransposeDims(it, a),
        "contiguous" or "detach" or "clone" => a.Tensor(0),
        "squeeze" => Squeeze(it, a),
        "unsqueeze" => Unsqueeze(it, a.Tensor(0), a.Long(1)),
        "unflatten" => Unflatten(it, a),
        "add" or "sub" or "rsub" or "mul" or "div" or "pow" or "floordiv" => Arithmetic(it, op, a),
        "eq" or "ne" or "lt" or "gt" or "le" or "ge" => Comparison(it, op, a),
        "cat" => Concat(it, a.Tensors(0), a.Long(1)),
        "stack" => Stack(it, a),
        "chunk" or "unsafe_chunk" => Chunk(it, a),
        "split" or "split_with_sizes" or "unsafe_split" => Split(it, a),
        "slice" => Slice(it, a),
        "select" => Select(it, a),
        "embedding" => Gather(a.Tensor(0), a.Tensor(1), 0),
        "dropout" or "feature_dropout" or "alpha_dropout" => a.Bool(2)
            ? throw it.Error("dropout in training mode cannot be exported for inference", OpArgs.Aten(op)) : a.Tensor(0),
        "mean" => Reduce(it, a, "ReduceMean"),
        "sum" => Reduce(it, a, "ReduceSum"),
        "to" => To(it, a),
        "type_as" => Cast(a.Tensor(0), a.Tensor(1).DType),
        "scaled_dot_product_attention" => Attention(it, a),
        _ => throw it.Error("this op has no ONNX mapping in PtSharp", OpArgs.Aten(op)),
    };

    // ---- shared helpers ------------------------------------------------------------------------------------------

    private TensorValue Unary(string onnx, TensorValue x, params Proto.AttributeProto[] attributes)
        => _g.Op(onnx, [x], x.Shape, x.DType, attributes);

    private TensorValue Binary(string onnx, TensorValue x, TensorValue y, DType? dtype = null)
        => _g.Op(onnx, [x, y], Broadcast(x.Shape, y.Shape), dtype ?? x.DType);

    public TensorValue Cast(TensorValue x, DType to)
    {
        if (x.DType == to) return x;
        if (x.Known is not null) return TensorValue.Constant(x.Known, x.Shape, to);
        return _g.Op("Cast", [x], x.Shape, to, Int("to", _g.OnnxType(to)));
    }

    private TensorValue Transpose(TensorValue x, long[] perm)
        => _g.Op("Transpose", [x], perm.Select(p => x.Shape[p]).ToArray(), x.DType, Ints("perm", perm));

    private TensorValue Clip(TensorValue x, double min, double max)
        => _g.Op("Clip", [x, _g.Scalar(min, x.DType), _g.Scalar(max, x.DType)], x.Shape, x.DType);

    public static long[] Broadcast(long[] a, long[] b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new long[n];
        for (int i = 0; i < n; i++)
        {
            long x = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            long y = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            if (x != y && x != 1 && y != 1) throw new OnnxConversionException($"shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
            r[i] = x == 1 ? y : x;
        }
        return r;
    }

    private static int Axis(Interpreter it, long axis, int rank) => Builtins.Axis(it, axis, rank);
}
