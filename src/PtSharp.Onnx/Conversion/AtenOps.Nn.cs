using static PtSharp.Onnx.Conversion.GraphBuilder;

namespace PtSharp.Onnx.Conversion;

/// <summary>Layers: linear, convolution, normalization, pooling, activations with attributes, attention.</summary>
internal sealed partial class AtenOps
{
    private TensorValue Linear(Interpreter it, TensorValue x, TensorValue w, TensorValue? b)
    {
        if (w.Rank != 2 || x.Rank < 1 || x.Shape[^1] != w.Shape[1])
            throw it.Error($"input [{string.Join(", ", x.Shape)}] does not fit weight [{string.Join(", ", w.Shape)}]", "aten::linear");
        long outFeatures = w.Shape[0];
        var shape = x.Shape[..^1].Append(outFeatures).ToArray();
        if (x.Rank == 2 && b is not null)
            return _g.Op("Gemm", [x, w, b], shape, x.DType, Float("alpha", 1), Float("beta", 1), Int("transB", 1));
        var y = _g.Op("MatMul", [x, Transpose(w, [1, 0])], shape, x.DType);
        return b is null ? y : Binary("Add", y, b);
    }

    private TensorValue Addmm(Interpreter it, OpArgs a)
    {
        var (c, m1, m2) = (a.Tensor(0), a.Tensor(1), a.Tensor(2));
        if (m1.Rank != 2 || m2.Rank != 2) throw it.Error("addmm needs 2-D matrices", "aten::addmm");
        return _g.Op("Gemm", [m1, m2, c], [m1.Shape[0], m2.Shape[1]], m1.DType,
            Float("alpha", a.Double(4, 1)), Float("beta", a.Double(3, 1)));
    }

    private TensorValue MatMul(Interpreter it, TensorValue x, TensorValue y)
    {
        if (x.Rank < 1 || y.Rank < 1) throw it.Error("matmul of a 0-d tensor", "aten::matmul");
        if (x.Shape[^1] != (y.Rank == 1 ? y.Shape[0] : y.Shape[^2]))
            throw it.Error($"[{string.Join(", ", x.Shape)}] and [{string.Join(", ", y.Shape)}] cannot be multiplied", "aten::matmul");
        long[] shape;
        if (y.Rank == 1) shape = x.Shape[..^1];
        else if (x.Rank == 1) shape = y.Shape[..^2].Append(y.Shape[^1]).ToArray();
        else
        {
            var batch = Broadcast(x.Shape[..^2], y.Shape[..^2]);
            shape = batch.Append(x.Shape[^2]).Append(y.Shape[^1]).ToArray();
        }
        return _g.Op("MatMul", [x, y], shape, x.DType);
    }

    private TensorValue Convolution(Interpreter it, OpArgs a, bool full)
    {
        var (x, w, b) = (a.Tensor(0), a.Tensor(1), a.OptTensor(2));
        int spatial = w.Rank - 2;
        if (spatial < 1 || x.Rank != spatial + 2)
            throw it.Error($"convolution of a rank-{x.Rank} input (unbatched inputs are not supported)", OpArgs.Aten(a.Op));
        var stride = a.Longs(3, spatial, Enumerable.Repeat(1L, spatial).ToArray());
        var dilation = a.Longs(5, spatial, Enumerable.Repeat(1L, spatial).ToArray());
        long groups = full ? a.Long(8, 1) : a.Long(6, 1);
        if (x.Shape[1] != w.Shape[1] * groups)
            throw it.Error($"input has {x.Shape[1]} channels, the weight expects {w.Shape[1] * groups}", OpArgs.Aten(a.Op));
        if (full && a.Bool(6)) throw it.Error("transposed convolution is not supported yet", "aten::_convolution");
        var kernel = w.Shape[2..];
        long[] pads;
        if (a.Raw(4) is string mode)
        {
            if (mode == "valid") pads = new long[spatial];
            else if (mode == "same")
            {
                // torch puts the odd extra pad at the end, like ONNX SAME_UPPER; written as explicit pads.
                var total = Enumerable.Range(0, spatial).Select(i => dilation[i] * (kernel[i] - 1)).ToArray();
                pads = total.Select(t => t / 2).Concat(total.Select(t => t - t / 2)).ToArray();
            }
            else throw it.Error($"padding mode '{mode}'", "aten::conv2d");
        }
        else
        {
            var p = a.Longs(4, spatial, new long[spatial]);
            pads = p.Concat(p).ToArray();
        }
        var shape = new long[x.Rank];
        shape[0] = x.Shape[0];
        shape[1] = w.Shape[0];
        for (int i = 0; i < spatial; i++)
        {
            long eff = dilation[i] * (kernel[i] - 1) + 1;
            shape[2 + i] = (x.Shape[2 + i] + pads[i] + pads[spatial + i] - eff) / stride[i] + 1;
        }
        object?[] inputs = b is null ? [x, w] : [x, w, b];
        return _g.Op("Conv", inputs, shape, x.DType, Ints("dilations", dilation), Int("group", groups),
            Ints("kernel_shape", kernel), Ints("pads", pads), Ints("strides", stride));
    }

    private TensorValue BatchNorm(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        if (a.Bool(5)) throw it.Error("batch_norm in training mode cannot be exported for inference", "aten::batch_norm");
        var mean = a.OptTensor(3) ?? throw it.Error("batch_norm without running statistics", "aten::batch_norm");
        var variance = a.OptTensor(4)!;
        long c = x.Shape[1];
        var w = a.OptTensor(1) ?? TensorValue.Constant(Enumerable.Repeat(1.0, (int)c).ToArray(), [c], x.DType);
        var b = a.OptTensor(2) ?? TensorValue.Constant(new double[c], [c], x.DType);
        return _g.Op("BatchNormalization", [x, w, b, mean, variance], x.Shape, x.DType,
            Float("epsilon", a.Double(7, 1e-5)), Float("momentum", 1 - a.Double(6, 0.1)));
    }

    private TensorValue LayerNorm(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        var normalized = a.Longs(1);
        if (_g.Opset < 17) throw it.Error("layer_norm needs opset 17 (LayerNormalization); use --opset 17 or later", "aten::layer_norm");
        long n = normalized.Aggregate(1L, (p, q) => p * q);
        var w = a.OptTensor(2) ?? TensorValue.Constant(Enumerable.Repeat(1.0, (int)n).ToArray(), normalized, x.DType);
        object? b = a.OptTensor(3);
        return _g.Op("LayerNormalization", b is null ? [x, w] : [x, w, b], x.Shape, x.DType,
            Int("axis", -normalized.Length), Float("epsilon", a.Double(4, 1e-5)));
    }

    private TensorValue GroupNorm(Interpreter it, OpArgs a)
    {
        // As torch.onnx: [N, G, -1] → InstanceNormalization(ones, zeros) → original shape → * weight + bias.
        var x = a.Tensor(0);
        long groups = a.Long(1);
        long c = x.Shape[1];
        if (c % groups != 0) throw it.Error($"{c} channels do not split into {groups} groups", "aten::group_norm");
        var grouped = _g.Op("Reshape", [x, _g.Int64s([x.Shape[0], groups, -1], reshapeTarget: true)],
            [x.Shape[0], groups, x.ElementCount / x.Shape[0] / groups], x.DType);
        var ones = TensorValue.Constant(Enumerable.Repeat(1.0, (int)groups).ToArray(), [groups], x.DType);
        var zeros = TensorValue.Constant(new double[groups], [groups], x.DType);
        var normed = _g.Op("InstanceNormalization", [grouped, ones, zeros], grouped.Shape, x.DType,
            Float("epsilon", a.Double(4, 1e-5)));
        var y = _g.Op("Reshape", [normed, _g.Int64s(x.Shape, reshapeTarget: true)], x.Shape, x.DType);
        var affineShape = new long[x.Rank - 1];
        Array.Fill(affineShape, 1L);
        affineShape[0] = c;
        if (a.OptTensor(2) is { } w) y = Binary("Mul", y, Reshape(it, w, affineShape));
        if (a.OptTensor(3) is { } b) y = Binary("Add", y, Reshape(it, b, affineShape));
        return y;
    }

    private TensorValue Gelu(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        string approximate = a.String(1) ?? "none";
        if (_g.Opset >= 20) return Unary("Gelu", x, String("approximate", approximate));
        if (approximate == "tanh")
        {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            var cube = Binary("Mul", Binary("Mul", x, x), x);
            var inner = Binary("Add", x, Binary("Mul", cube, Scalar(0.044715, x)));
            var t = Unary("Tanh", Binary("Mul", inner, Scalar(Math.Sqrt(2 / Math.PI), x)));
            return Binary("Mul", Binary("Mul", x, Scalar(0.5, x)), Binary("Add", t, Scalar(1, x)));
        }
        if (approximate != "none") throw it.Error($"gelu approximation '{approximate}'", "aten::gelu");
        // 0.5 x (1 + erf(x / sqrt 2)), the decomposition torch.onnx emits before opset 20.
        var erf = Unary("Erf", Binary("Div", x, Scalar(Math.Sqrt(2), x)));
        return Binary("Mul", Binary("Mul", x, Binary("Add", erf, Scalar(1, x))), Scalar(0.5, x));
    }

    private TensorValue Scalar(double value, TensorValue like) => TensorValue.Constant([value], [], like.DType);

    private TensorValue Softmax(Interpreter it, OpArgs a, string onnx)
    {
        var x = a.Tensor(0);
        if (a.Has(2)) x = Cast(x, OnnxTypes.FromScalarType(a.Long(2)));
        return Unary(onnx, x, Int("axis", Axis(it, a.Long(1), x.Rank)));
    }

    private TensorValue Pool(Interpreter it, OpArgs a, string onnx)
    {
        var x = a.Tensor(0);
        var kernel = a.Longs(1, 2);
        var stride = a.Longs(2, 2);
        if (stride.Length == 0) stride = kernel;
        var padding = a.Longs(3, 2, [0, 0]);
        bool ceil = onnx == "MaxPool" ? a.Bool(5) : a.Bool(4);
        var attrs = new List<Proto.AttributeProto>
        {
            Int("ceil_mode", ceil ? 1 : 0), Ints("kernel_shape", kernel), Ints("pads", padding.Concat(padding)), Ints("strides", stride),
        };
        if (onnx == "MaxPool")
        {
            var dilation = a.Longs(4, 2, [1, 1]);
            if (dilation.Any(d => d != 1)) attrs.Add(Ints("dilations", dilation));
        }
        else
        {
            if (a.Has(6)) throw it.Error("avg_pool2d with divisor_override", "aten::avg_pool2d");
            attrs.Add(Int("count_include_pad", a.Bool(5, true) ? 1 : 0));
        }
        var shape = (long[])x.Shape.Clone();
        for (int i = 0; i < 2; i++)
        {
            int d = x.Rank - 2 + i;
            double span = (double)(x.Shape[d] + 2 * padding[i] - kernel[i]) / stride[i];
            long o = (long)(ceil ? Math.Ceiling(span) : Math.Floor(span)) + 1;
            if (ceil && (o - 1) * stride[i] >= x.Shape[d] + padding[i]) o--;
            shape[d] = o;
        }
        return _g.Op(onnx, [x], shape, x.DType, attrs.ToArray());
    }

    private TensorValue AdaptiveAvgPool(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        var size = a.Longs(1, 2);
        var shape = (long[])x.Shape.Clone();
        if (size.All(s => s == 1))
        {
            shape[^1] = shape[^2] = 1;
            return _g.Op("GlobalAveragePool", [x], shape, x.DType);
        }
        long h = x.Shape[^2], w = x.Shape[^1];
        if (h % size[0] != 0 || w % size[1] != 0)
            throw it.Error($"adaptive_avg_pool2d from {h}x{w} to {size[0]}x{size[1]} is not a plain average pool", "aten::adaptive_avg_pool2d");
        long[] k = [h / size[0], w / size[1]];
        shape[^2] = size[0];
        shape[^1] = size[1];
        return _g.Op("AveragePool", [x], shape, x.DType, Ints("kernel_shape", k), Ints("strides", k));
    }

    private TensorValue Attention(Interpreter it, OpArgs a)
    {
        var (q, k, v) = (a.Tensor(0), a.Tensor(1), a.Tensor(2));
        if (a.Double(4) != 0) throw it.Error("attention dropout in training mode", "aten::scaled_dot_product_attention");
        if (a.Bool(5)) throw it.Error("is_causal=True is not supported yet", "aten::scaled_dot_product_attention");
        if (a.Bool(7)) throw it.Error("enable_gqa=True is not supported yet", "aten::scaled_dot_product_attention");
        double scale = a.Has(6) ? a.Double(6) : 1 / Math.Sqrt(q.Shape[^1]);
        var perm = Enumerable.Range(0, k.Rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        var scores = Binary("Mul", MatMul(it, q, Transpose(k, perm)), Scalar(scale, q));
        if (a.OptTensor(3) is { } mask)
        {
            if (mask.DType == DType.Bool)
                scores = _g.Op("Where", [mask, scores, Scalar(double.NegativeInfinity, q)], scores.Shape, q.DType);
            else scores = Binary("Add", scores, mask);
        }
        var weights = Unary("Softmax", scores, Int("axis", -1));
        return MatMul(it, weights, v);
    }
}
