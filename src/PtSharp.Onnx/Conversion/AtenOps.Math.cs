using static PtSharp.Onnx.Conversion.GraphBuilder;

namespace PtSharp.Onnx.Conversion;

/// <summary>Element-wise arithmetic (folded when both sides are known), comparisons, reductions, casts.</summary>
internal sealed partial class AtenOps
{
    private object Arithmetic(Interpreter it, string op, OpArgs a)
    {
        var left = a.Raw(0);
        var right = a.Raw(1);
        double alpha = op is "add" or "sub" or "rsub" ? a.Double(2, 1) : 1;
        if (op == "rsub") (left, right, op) = (right, left, "sub");
        if (op == "div" && a.String(2) is { } mode) op = mode == "trunc" ? "div_trunc" : mode == "floor" ? "floordiv" : throw
            it.Error($"rounding_mode '{mode}'", "aten::div");
        var x = AsTensorLike(it, left, right);
        var y = AsTensorLike(it, right, left);
        if (alpha != 1) y = Fold(it, "mul", y, TensorValue.Constant([alpha], [], y.DType)) ?? Binary("Mul", y, Scalar(alpha, y));
        (x, y) = Promote(x, y);
        if (Fold(it, op, x, y) is { } folded) return folded;
        switch (op)
        {
            case "add": return Binary("Add", x, y);
            case "sub": return Binary("Sub", x, y);
            case "mul": return Binary("Mul", x, y);
            case "pow": return Binary("Pow", x, y);
            case "div":
                if (!x.DType.IsFloatingPoint()) { x = Cast(x, DType.Float32); y = Cast(y, DType.Float32); }
                return Binary("Div", x, y);
            case "floordiv":
                if (x.DType.IsFloatingPoint()) return Unary("Floor", Binary("Div", x, y));
                throw it.Error("integer floor division of run-time tensors", "aten::floor_divide");
            case "div_trunc":
                if (!x.DType.IsFloatingPoint()) return Binary("Div", x, y); // ONNX integer Div truncates, like torch's "trunc"
                throw it.Error("rounding_mode='trunc' on float tensors", "aten::div");
        }
        throw it.Error("operator", "aten::" + op);
    }

    private TensorValue AsTensorLike(Interpreter it, object? value, object? other)
    {
        if (value is TensorValue t) return t;
        var dtype = other is TensorValue o ? o.DType : DType.Float32;
        if (value is double && !dtype.IsFloatingPoint()) dtype = DType.Float32;
        return TensorValue.Constant([Builtins.ToDouble(it, value)], [], dtype);
    }

    /// <summary>torch's promotion, simplified: a 0-d side takes the other side's dtype within the same kind; ints meet floats as float.</summary>
    private (TensorValue, TensorValue) Promote(TensorValue x, TensorValue y)
    {
        if (x.DType == y.DType) return (x, y);
        bool xf = x.DType.IsFloatingPoint(), yf = y.DType.IsFloatingPoint();
        if (y.Rank == 0 && (xf || !yf) && x.Rank > 0) return (x, Cast(y, x.DType));
        if (x.Rank == 0 && (yf || !xf) && y.Rank > 0) return (Cast(x, y.DType), y);
        if (xf && !yf) return (x, Cast(y, x.DType));
        if (yf && !xf) return (Cast(x, y.DType), y);
        return (x, Cast(y, x.DType));
    }

    private static TensorValue? Fold(Interpreter it, string op, TensorValue x, TensorValue y)
    {
        if (x.Known is null || y.Known is null) return null;
        if (x.Known.Length != 1 && y.Known.Length != 1 && x.Known.Length != y.Known.Length) return null;
        int n = Math.Max(x.Known.Length, y.Known.Length);
        bool ints = !x.DType.IsFloatingPoint() && !y.DType.IsFloatingPoint();
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            double p = x.Known[x.Known.Length == 1 ? 0 : i], q = y.Known[y.Known.Length == 1 ? 0 : i];
            r[i] = op switch
            {
                "add" => p + q,
                "sub" => p - q,
                "mul" => p * q,
                "div" => p / q,
                "div_trunc" => Math.Truncate(p / q),
                "floordiv" => Math.Floor(p / q),
                "pow" => Math.Pow(p, q),
                _ => throw it.Error("operator", "aten::" + op),
            };
        }
        var dtype = op == "div" && ints ? DType.Float32 : x.DType.IsFloatingPoint() ? x.DType : y.DType;
        var shape = x.Known.Length >= y.Known.Length ? x.Shape : y.Shape;
        return TensorValue.Constant(r, shape, dtype);
    }

    private object Comparison(Interpreter it, string op, OpArgs a)
    {
        var x = AsTensorLike(it, a.Raw(0), a.Raw(1));
        var y = AsTensorLike(it, a.Raw(1), a.Raw(0));
        (x, y) = Promote(x, y);
        if (x.Known is { Length: 1 } && y.Known is { Length: 1 })
            return Builtins.Compare(it, op, x.Known[0], y.Known[0])!;
        var result = op switch
        {
            "eq" => Binary("Equal", x, y, DType.Bool),
            "lt" => Binary("Less", x, y, DType.Bool),
            "gt" => Binary("Greater", x, y, DType.Bool),
            "le" => Binary("LessOrEqual", x, y, DType.Bool),
            "ge" => Binary("GreaterOrEqual", x, y, DType.Bool),
            _ => Unary("Not", Binary("Equal", x, y, DType.Bool)),
        };
        return result;
    }

    private TensorValue Reduce(Interpreter it, OpArgs a, string onnx)
    {
        var x = a.Tensor(0);
        if (a.Has(3)) x = Cast(x, OnnxTypes.FromScalarType(a.Long(3)));
        var dims = a.Has(1) ? a.Longs(1).Select(d => (long)Axis(it, d, x.Rank)).ToArray()
            : Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        bool keep = a.Bool(2);
        var shape = keep ? x.Shape.Select((d, i) => dims.Contains(i) ? 1 : d).ToArray()
            : x.Shape.Where((_, i) => !dims.Contains(i)).ToArray();
        // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
        if (onnx == "ReduceSum" || _g.Opset >= 18)
            return _g.Op(onnx, [x, _g.Int64s(dims)], shape, x.DType, Int("keepdims", keep ? 1 : 0));
        return _g.Op(onnx, [x], shape, x.DType, Ints("axes", dims), Int("keepdims", keep ? 1 : 0));
    }

    private TensorValue To(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        // to(dtype, ...), to(device, dtype, ...), to(other_tensor, ...): the first int argument is the dtype.
        for (int i = 1; i < 6; i++)
        {
            if (a.Raw(i) is TensorValue other) return Cast(x, other.DType);
            if (a.Raw(i) is long code) return Cast(x, OnnxTypes.FromScalarType(code));
        }
        return x;
    }
}
