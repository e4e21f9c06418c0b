using System.Globalization;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// Calls that are not tensor ops: Python builtins, <c>ops.prim.*</c>, and <c>torch.*</c> functions applied to ints,
/// floats, strings and lists (TorchScript prints <c>a + b</c> on ints as <c>torch.add(a, b)</c>). Tensor calls go to
/// <see cref="AtenOps"/>.
/// </summary>
internal static class Builtins
{
    public static object? Call(Interpreter it, string name, List<object?> args, List<(string, object?)> kwargs)
    {
        object? Arg(int i) => i < args.Count ? args[i] : null;
        switch (name)
        {
            case "int": return ToLong(it, Arg(0));
            case "float": return ToDouble(it, Arg(0));
            case "bool": return it.Truth(Arg(0), "bool");
            case "str": return Convert.ToString(Arg(0), CultureInfo.InvariantCulture);
            case "len" or "torch.len": return Length(it, Arg(0));
            case "range":
                {
                    long start = args.Count > 1 ? ToLong(it, args[0]) : 0, stop = ToLong(it, args.Count > 1 ? args[1] : args[0]);
                    long step = args.Count > 2 ? ToLong(it, args[2]) : 1;
                    if (step == 0 || Math.Abs((stop - start) / step) > 100_000) throw it.Error("range is too long to unroll", "range");
                    var list = new List<object?>();
                    for (long i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
                    return list;
                }
            case "getattr": return it.Attribute(Arg(0), (string)Arg(1)!);
            case "annotate": return Arg(1);
            case "uninitialized": return null;
            case "unchecked_cast" or "ops.prim.unchecked_cast": return Arg(0);
            case "isinstance": return IsInstance(Arg(0), Arg(1));
            case "torch.__is__": return Equals(Arg(0), Arg(1)) || Arg(0) is null && Arg(1) is null;
            case "torch.__isnot__": return !(Equals(Arg(0), Arg(1)) || Arg(0) is null && Arg(1) is null);
            case "torch.__not__": return !it.Truth(Arg(0), "not");
            case "ops.prim.NumToTensor" or "torch.scalar_tensor" when Arg(0) is long or double or bool:
                {
                    var v = Arg(0);
                    return TensorValue.Constant([ToDouble(it, v)], [], v is double ? DType.Float64 : DType.Int64);
                }
            case "ops.prim.dtype": return OnnxTypes.ToScalarType(AsTensor(it, Arg(0)).DType);
            case "ops.prim.device" or "torch.device": return "cpu";
            case "ops.prim.RaiseException" or "ops.prim.AssertionError":
                throw it.Error($"the model raises for these inputs: {Arg(0)}", name);
            case "torch.format":
                {
                    string fmt = (string)Arg(0)!;
                    var sb = new System.Text.StringBuilder();
                    int k = 1;
                    for (int i = 0; i < fmt.Length; i++)
                    {
                        if (fmt[i] == '{' && i + 1 < fmt.Length && fmt[i + 1] == '}') { sb.Append(Interpreter.Describe(Arg(k++))); i++; }
                        else sb.Append(fmt[i]);
                    }
                    return sb.ToString();
                }
            case "torch.warn" or "print": return null;
            case "ops.prim.min" or "min": return Extreme(it, args, -1);
            case "ops.prim.max" or "max": return Extreme(it, args, 1);
            case "torch.dim": return (long)AsTensor(it, Arg(0)).Rank;
            case "torch.numel": return AsTensor(it, Arg(0)).ElementCount;
            case "torch.size":
                {
                    var t = AsTensor(it, Arg(0));
                    if (args.Count < 2) return t.Shape.Select(d => (object?)d).ToList();
                    return t.Shape[Axis(it, ToLong(it, args[1]), t.Rank)];
                }
            case "torch.list": return Iter(it, Arg(0)).ToList();
            case "torch.append": ((List<object?>)Arg(0)!).Add(Arg(1)); return null;
            case "torch.Int" or "torch.IntImplicit" or "aten::Int": return ToLong(it, Arg(0));
            case "torch.Float" or "torch.FloatImplicit": return ToDouble(it, Arg(0));
            case "torch.Bool" or "torch.BoolImplicit": return it.Truth(Arg(0), "bool");
            case "math.sqrt": return Math.Sqrt(ToDouble(it, Arg(0)));
            case "math.inf": return double.PositiveInfinity;
        }
        string op = name.StartsWith("torch.", StringComparison.Ordinal) ? name[6..]
            : name.StartsWith("ops.aten.", StringComparison.Ordinal) ? name[9..] : "";
        if (op == "slice" && args.Count > 0 && args[0] is List<object?> or TupleValue)
            return Slice(it, args[0], args.Count > 1 ? args[1] : null, args.Count > 2 ? args[2] : null, args.Count > 3 ? args[3] : null);
        if (op == "add" && args.Count == 2 && args[0] is List<object?> l1 && args[1] is List<object?> l2) return l1.Concat(l2).ToList();
        if (op.Length > 0 && args.Count > 0 && IsScalarCall(args))
        {
            if (op is "eq" or "ne" or "lt" or "gt" or "le" or "ge" or "add" or "sub" or "mul" or "div" or "floordiv"
                or "remainder" or "pow" or "neg" or "floor" or "ceil" or "sqrt")
                return op == "neg" ? Arith(it, "sub", 0L, args[0]) : op is "floor" or "ceil" or "sqrt" ? Unary(it, op, args[0])
                    : op is "eq" or "ne" or "lt" or "gt" or "le" or "ge" ? Compare(it, op, args[0], args[1]) : Arith(it, op, args[0], args[1]);
        }
        if (op.Length > 0) return it.Ops.Call(it, op, args, kwargs);
        throw it.Error("this function is outside the supported subset", name);
    }

    private static bool IsScalarCall(List<object?> args)
        => args.Take(2).All(a => a is long or double or bool or string or null);

    private static object IsInstance(object? value, object? type)
    {
        string t = type is QualifiedName q ? q.Name : type?.ToString() ?? "";
        return t switch
        {
            "Tensor" => value is TensorValue,
            "int" => value is long,
            "float" => value is double,
            "bool" => value is bool,
            "str" => value is string,
            _ => false,
        };
    }

    private static object? Extreme(Interpreter it, List<object?> args, int sign)
    {
        var items = args.Count == 1 ? Iter(it, args[0]).ToList() : args;
        object? best = null;
        foreach (var x in items)
            if (best is null || Math.Sign(ToDouble(it, x).CompareTo(ToDouble(it, best))) == sign) best = x;
        return best;
    }

    public static IEnumerable<object?> Iter(Interpreter it, object? value) => value switch
    {
        List<object?> l => l,
        TupleValue t => t.Items,
        _ => throw it.Error($"{Interpreter.Describe(value)} is not a list"),
    };

    private static long Length(Interpreter it, object? value) => value switch
    {
        List<object?> l => l.Count,
        TupleValue t => t.Items.Length,
        string s => s.Length,
        TensorValue t when t.Rank > 0 => t.Shape[0],
        ModuleValue m when m.Class.Methods.TryGetValue("__len__", out var f) => ToLong(it, it.Invoke(f, m, [], [])),
        _ => throw it.Error($"len() of {Interpreter.Describe(value)}"),
    };

    public static TensorValue AsTensor(Interpreter it, object? value)
        => value as TensorValue ?? throw it.Error($"expected a tensor, got {Interpreter.Describe(value)}");

    public static int Axis(Interpreter it, long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1)) throw it.Error($"dimension {axis} is out of range for rank {rank}");
        return (int)a;
    }

    public static long ToLong(Interpreter it, object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)Math.Truncate(d),
        TensorValue { Known: { Length: 1 } k } => (long)Math.Truncate(k[0]),
        TensorValue => throw it.Error("an int is needed at conversion time, but it comes from tensor values computed at run time",
            "aten::Int"),
        string s when long.TryParse(s, CultureInfo.InvariantCulture, out long p) => p,
        _ => throw it.Error($"expected an int, got {Interpreter.Describe(value)}"),
    };

    public static double ToDouble(Interpreter it, object? value) => value switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        TensorValue { Known: { Length: 1 } k } => k[0],
        TensorValue => throw it.Error("a number is needed at conversion time, but it comes from run-time tensor values",
            "aten::Float"),
        string s when s == "inf" => double.PositiveInfinity,
        _ => throw it.Error($"expected a number, got {Interpreter.Describe(value)}"),
    };

    public static object? Arith(Interpreter it, string op, object? a, object? b)
    {
        if (a is TensorValue || b is TensorValue) return it.Ops.Call(it, op, [a, b], []);
        bool ints = a is long or bool && b is long or bool;
        if (ints && op != "div" && op != "pow")
        {
            long x = ToLong(it, a), y = ToLong(it, b);
            return op switch
            {
                "add" => x + y,
                "sub" => x - y,
                "mul" => x * y,
                "floordiv" => (long)Math.Floor((double)x / y),
                "remainder" => ((x % y) + y) % y,
                _ => throw it.Error($"int operator {op}"),
            };
        }
        double p = ToDouble(it, a), q = ToDouble(it, b);
        return op switch
        {
            "add" => p + q,
            "sub" => p - q,
            "mul" => p * q,
            "div" => p / q,
            "floordiv" => Math.Floor(p / q),
            "remainder" => p - Math.Floor(p / q) * q,
            "pow" => ints && q >= 0 ? (object)(long)Math.Pow(p, q) : Math.Pow(p, q),
            _ => throw it.Error($"operator {op}"),
        };
    }

    private static object Unary(Interpreter it, string op, object? a) => op switch
    {
        "floor" => (long)Math.Floor(ToDouble(it, a)),
        "ceil" => (long)Math.Ceiling(ToDouble(it, a)),
        _ => Math.Sqrt(ToDouble(it, a)),
    };

    public static object? Compare(Interpreter it, string op, object? a, object? b)
    {
        if (a is TensorValue { Known: null } || b is TensorValue { Known: null }) return it.Ops.Call(it, op, [a, b], []);
        if (a is string || b is string || a is null || b is null)
        {
            bool eq = Equals(a, b);
            return op switch { "eq" => eq, "ne" => !eq, _ => throw it.Error($"cannot order {Interpreter.Describe(a)}") };
        }
        double x = ToDouble(it, a), y = ToDouble(it, b);
        return op switch
        {
            "eq" => x == y, "ne" => x != y, "lt" => x < y, "gt" => x > y, "le" => x <= y, _ => x >= y,
        };
    }

    public static object? Binary(Interpreter it, string op, object? l, object? r) => op switch
    {
        "+" when l is List<object?> a && r is List<object?> b => a.Concat(b).ToList(),
        "+" => Arith(it, "add", l, r),
        "-" => Arith(it, "sub", l, r),
        "*" => Arith(it, "mul", l, r),
        "/" => Arith(it, "div", l, r),
        "//" => Arith(it, "floordiv", l, r),
        "%" => Arith(it, "remainder", l, r),
        "**" => Arith(it, "pow", l, r),
        "==" => Compare(it, "eq", l, r),
        "!=" => Compare(it, "ne", l, r),
        "<" => Compare(it, "lt", l, r),
        ">" => Compare(it, "gt", l, r),
        "<=" => Compare(it, "le", l, r),
        ">=" => Compare(it, "ge", l, r),
        "is" => l is null ? r is null : ReferenceEquals(l, r) || Equals(l, r),
        "is not" => !(l is null ? r is null : ReferenceEquals(l, r) || Equals(l, r)),
        "in" => Iter(it, r).Any(x => Equals(x, l)),
        "not in" => !Iter(it, r).Any(x => Equals(x, l)),
        _ => throw it.Error($"operator {op} is not supported", op),
    };

    public static object? Index(Interpreter it, object? target, object? index)
    {
        switch (target)
        {
            case List<object?> l: return l[(int)Axis(it, ToLong(it, index), l.Count)];
            case TupleValue t: return t.Items[(int)Axis(it, ToLong(it, index), t.Items.Length)];
            case TensorValue tv when index is long or TensorValue { Known.Length: 1 }:
                return it.Ops.Call(it, "select", [tv, 0L, ToLong(it, index)], []);
            default: throw it.Error($"indexing {Interpreter.Describe(target)} is not supported", "__getitem__");
        }
    }

    public static object? Slice(Interpreter it, object? target, object? start, object? stop, object? step)
    {
        if (target is TensorValue t) return it.Ops.Call(it, "slice", [t, 0L, start, stop, step ?? 1L], []);
        var items = Iter(it, target).ToList();
        int n = items.Count;
        int s = start is null ? 0 : Clamp(ToLong(it, start), n), e = stop is null ? n : Clamp(ToLong(it, stop), n);
        if (step is not null && ToLong(it, step) != 1) throw it.Error("list slices with a step are not supported", "slice");
        var result = items.Skip(s).Take(Math.Max(0, e - s)).ToList();
        return target is TupleValue ? new TupleValue(result.ToArray()) : result;
    }

    private static int Clamp(long i, int n) => (int)Math.Clamp(i < 0 ? i + n : i, 0, n);
}
