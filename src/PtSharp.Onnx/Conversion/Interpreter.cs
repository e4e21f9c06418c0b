using PtSharp.Onnx.Script;
using PtSharp.Pickle;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// Runs a TorchScript <c>forward</c> abstractly: tensors become ONNX nodes (through <see cref="AtenOps"/>), every
/// other value (ints, shapes, lists, flags, modules) is computed at conversion time. Submodule calls are inlined;
/// an <c>if</c> runs only the branch its conversion-time condition selects. Anything else is an error that names the
/// construct, the record and the line.
/// </summary>
internal sealed partial class Interpreter
{
    private const int MaxDepth = 200;
    private readonly ScriptLibrary _library;
    private readonly GraphBuilder _graph;
    private readonly PtFile _file;
    private readonly Dictionary<PtTensor, TensorValue> _fileTensors = new(ReferenceEqualityComparer.Instance);
    private int _depth;

    public Interpreter(ScriptLibrary library, GraphBuilder graph, PtFile file)
    {
        _library = library;
        _graph = graph;
        _file = file;
        Ops = new AtenOps(graph);
    }

    public AtenOps Ops { get; }

    /// <summary>Where the statement running now comes from (errors name it).</summary>
    public string Record { get; private set; } = "";
    public int Line { get; private set; }

    private sealed class Frame(FunctionDef function)
    {
        public FunctionDef Function { get; } = function;
        public Dictionary<string, object?> Locals { get; } = new(StringComparer.Ordinal);
    }

    private sealed class ReturnSignal(object? value) : Exception
    {
        public object? Value { get; } = value;
    }

    public OnnxConversionException Error(string message, string? op = null) => new(message, Record, Line, op);

    public ModuleValue RootModule()
    {
        if (_file.Root is not PyObject root) throw new OnnxConversionException("the archive's data.pkl holds no module");
        return Module(root, "");
    }

    private ModuleValue Module(PyObject obj, string prefix)
    {
        string name = obj.Module + "." + obj.Name;
        if (!_library.TryGetClass(name, out var cls))
            throw Error($"the archive has no code for class {name}");
        return new ModuleValue(obj, prefix, cls);
    }

    public object? CallMethod(ModuleValue self, string method, IReadOnlyList<object?> args, IReadOnlyList<(string, object?)> kwargs)
    {
        if (!self.Class.Methods.TryGetValue(method, out var def))
        {
            if (method == "forward") throw Error($"{self.Class.QualifiedName} has no forward method");
            throw Error($"{self.Class.QualifiedName} has no method {method}");
        }
        string saved = _graph.Scope;
        _graph.Scope = self.Prefix.TrimEnd('.');
        try { return Invoke(def, self, args, kwargs); }
        finally { _graph.Scope = saved; }
    }

    public object? Invoke(FunctionDef def, ModuleValue? self, IReadOnlyList<object?> args, IReadOnlyList<(string, object?)> kwargs)
    {
        if (++_depth > MaxDepth) throw Error("calls nest too deeply (recursion?)");
        var (savedRecord, savedLine) = (Record, Line);
        var frame = new Frame(def);
        try
        {
            var ps = def.Parameters;
            int first = 0;
            if (self is not null)
            {
                if (ps.Count == 0) throw Error($"method {def.Name} takes no self");
                frame.Locals[ps[0].Name] = self;
                first = 1;
            }
            if (args.Count > ps.Count - first) throw Error($"{def.Name}() takes {ps.Count - first} arguments, {args.Count} given");
            for (int i = 0; i < args.Count; i++) frame.Locals[ps[first + i].Name] = args[i];
            foreach (var (name, value) in kwargs)
            {
                if (!ps.Any(p => p.Name == name)) throw Error($"{def.Name}() has no parameter {name}");
                frame.Locals[name] = value;
            }
            Record = def.Record;
            Line = def.Line;
            foreach (var p in ps.Skip(first))
            {
                if (frame.Locals.ContainsKey(p.Name)) continue;
                if (p.Default is null) throw Error($"{def.Name}() is missing argument {p.Name}");
                frame.Locals[p.Name] = Eval(p.Default, frame);
            }
            try
            {
                Exec(def.Body, frame);
                return null;
            }
            catch (ReturnSignal r) { return r.Value; }
        }
        finally
        {
            _depth--;
            (Record, Line) = (savedRecord, savedLine);
        }
    }

    private void Exec(IReadOnlyList<Stmt> body, Frame frame)
    {
        foreach (var stmt in body)
        {
            Line = stmt.Line;
            switch (stmt)
            {
                case AssignStmt a: Assign(a.Target, Eval(a.Value, frame), frame); break;
                case ExprStmt e: Eval(e.Value, frame); break;
                case ReturnStmt r: throw new ReturnSignal(r.Value is null ? null : Eval(r.Value, frame));
                case PassStmt: break;
                case IfStmt i:
                    {
                        var cond = Eval(i.Condition, frame);
                        Line = i.Line;
                        Exec(Truth(cond, "if") ? i.Then : i.Else, frame);
                        break;
                    }
                case ForStmt f:
                    {
                        var items = Iterate(Eval(f.Iterable, frame));
                        foreach (var item in items) { Assign(f.Target, item, frame); Exec(f.Body, frame); }
                        break;
                    }
                case UnsupportedStmt u: throw Error("this statement is outside the supported TorchScript subset", u.Keyword);
                default: throw Error($"unsupported statement {stmt.GetType().Name}");
            }
        }
    }

    private IEnumerable<object?> Iterate(object? value) => value switch
    {
        List<object?> l => l.ToList(),
        TupleValue t => t.Items,
        TensorValue => throw Error("a for loop over a tensor's values is data-dependent control flow", "for"),
        _ => throw Error($"cannot iterate over {Describe(value)}", "for"),
    };

    public bool Truth(object? value, string construct) => value switch
    {
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        null => false,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        TupleValue t => t.Items.Length > 0,
        TensorValue { Known: { Length: 1 } k } => k[0] != 0,
        TensorValue => throw Error("the condition depends on tensor values computed at run time (data-dependent control flow)", construct),
        _ => true,
    };

    private void Assign(Expr target, object? value, Frame frame)
    {
        switch (target)
        {
            case NameExpr n: frame.Locals[n.Name] = value; break;
            case TupleExpr t:
                {
                    var items = value switch
                    {
                        TupleValue tv => tv.Items,
                        List<object?> l => l.ToArray(),
                        _ => throw Error($"cannot unpack {Describe(value)}"),
                    };
                    if (items.Length != t.Items.Count) throw Error($"cannot unpack {items.Length} values into {t.Items.Count}");
                    for (int i = 0; i < items.Length; i++) Assign(t.Items[i], items[i], frame);
                    break;
                }
            default: throw Error("assignment to attributes or items is outside the supported subset", "setattr");
        }
    }

    private object? Eval(Expr expr, Frame frame)
    {
        switch (expr)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n:
                if (frame.Locals.TryGetValue(n.Name, out var v)) return v;
                return n.Name switch
                {
                    "torch" or "ops" or "__torch__" or "math" or "CONSTANTS" or "int" or "float" or "bool" or "str" or "len"
                        or "range" or "getattr" or "isinstance" or "annotate" or "uninitialized" or "unchecked_cast" or "inf"
                        or "min" or "max" or "list" or "tuple" or "hasattr" or "print" or "abs" or "round" or "sum"
                        or "Tensor" or "Optional" or "List" or "Tuple" or "Dict" or "NoneType"
                        => new QualifiedName(n.Name),
                    _ => throw Error($"name '{n.Name}' is not defined here"),
                };
            case AttrExpr a:
                {
                    var target = Eval(a.Target, frame);
                    Line = a.Line;
                    return Attribute(target, a.Name);
                }
            case CallExpr call: return EvalCall(call, frame);
            case ListExpr l: return l.Items.Select(i => Eval(i, frame)).ToList();
            case TupleExpr t: return new TupleValue(t.Items.Select(i => Eval(i, frame)).ToArray());
            case IndexExpr ix:
                {
                    var target = Eval(ix.Target, frame);
                    if (ix.Index is SliceExpr s)
                    {
                        var start = s.Start is null ? null : Eval(s.Start, frame);
                        var stop = s.Stop is null ? null : Eval(s.Stop, frame);
                        var step = s.Step is null ? null : Eval(s.Step, frame);
                        Line = ix.Line;
                        return Builtins.Slice(this, target, start, stop, step);
                    }
                    var index = Eval(ix.Index, frame);
                    Line = ix.Line;
                    return Builtins.Index(this, target, index);
                }
            case UnaryExpr u:
                {
                    var operand = Eval(u.Operand, frame);
                    Line = u.Line;
                    return u.Op switch
                    {
                        "not" => !Truth(operand, "not"),
                        "-" => Builtins.Arith(this, "sub", 0L, operand),
                        "+" => operand,
                        _ => throw Error($"operator {u.Op} is not supported", u.Op),
                    };
                }
            case BinaryExpr b:
                {
                    if (b.Op is "and" or "or")
                    {
                        var left = Eval(b.Left, frame);
                        bool lt = Truth(left, b.Op);
                        if (b.Op == "and" ? !lt : lt) return left;
                        return Eval(b.Right, frame);
                    }
                    var l = Eval(b.Left, frame);
                    var r = Eval(b.Right, frame);
                    Line = b.Line;
                    return Builtins.Binary(this, b.Op, l, r);
                }
            case IfExpr ie: return Truth(Eval(ie.Condition, frame), "if") ? Eval(ie.Then, frame) : Eval(ie.Else, frame);
            default: throw Error($"unsupported expression {expr.GetType().Name}");
        }
    }

    private object? EvalCall(CallExpr call, Frame frame)
    {
        var function = Eval(call.Function, frame);
        var args = call.Args.Select(a => Eval(a, frame)).ToList();
        var kwargs = call.Kwargs.Select(k => (k.Name, Eval(k.Value, frame))).ToList();
        Line = call.Line;
        switch (function)
        {
            case BoundMethod m:
                {
                    var result = CallMethod(m.Self, m.Name, args, kwargs);
                    Line = call.Line;
                    return result;
                }
            case FunctionDef f:
                {
                    var result = Invoke(f, null, args, kwargs);
                    Line = call.Line;
                    return result;
                }
            case QualifiedName q: return Builtins.Call(this, q.Name, args, kwargs);
            default: throw Error($"{Describe(function)} is not callable");
        }
    }

    public object? Attribute(object? target, string name)
    {
        switch (target)
        {
            case ModuleValue m: return ModuleAttribute(m, name);
            case QualifiedName q:
                {
                    string full = q.Name + "." + name;
                    if (q.Name == "CONSTANTS") return Constant(name);
                    if (full.StartsWith("__torch__.", StringComparison.Ordinal))
                    {
                        if (_library.TryGetFunction(full, out var f)) return f;
                    }
                    return new QualifiedName(full);
                }
            case TensorValue t:
                return name switch
                {
                    "shape" => t.Shape.Select(d => (object?)d).ToList(),
                    "dtype" => OnnxTypes.ToScalarType(t.DType),
                    "is_cuda" => false,
                    "device" => "cpu",
                    _ => throw Error($"tensor attribute {name} is not supported", "prim::GetAttr"),
                };
            default: throw Error($"{Describe(target)} has no attribute {name}");
        }
    }

    private object? ModuleAttribute(ModuleValue m, string name)
    {
        if (name == "training") return false; // converted for inference, as torch.onnx.export does by default
        var attrs = m.Object.Attributes;
        if (attrs is not null && attrs.TryGetValue(name, out var value)) return FromFile(value, m.Prefix + name);
        if (m.Class.Finals.TryGetValue(name, out var final))
            return Eval(final, new Frame(new FunctionDef("<class>", [], [], m.Class.Record, m.Class.Line)));
        if (m.Class.Methods.ContainsKey(name)) return new BoundMethod(m, name);
        throw Error($"{m.Class.QualifiedName} has no attribute {name}", "prim::GetAttr");
    }

    public object? FromFile(object? value, string path)
    {
        switch (value)
        {
            case PtTensor t:
                if (_fileTensors.TryGetValue(t, out var known)) return known;
                var tv = new TensorValue(t.Shape.ToArray(), t.DType, null) { Source = t, SourceName = path };
                _fileTensors[t] = tv;
                return tv;
            case PyObject o when o.Module.StartsWith("__torch__", StringComparison.Ordinal): return Module(o, path + ".");
            case PyList l: return l.Select((x, i) => FromFile(x, $"{path}.{i}")).ToList();
            case PyTuple t: return new TupleValue(t.Items.Select((x, i) => FromFile(x, $"{path}.{i}")).ToArray());
            case null or bool or long or double or string: return value;
            case System.Numerics.BigInteger b: return (long)b;
            case PyObject o when o.Name == "restore_type_tag" || o.Module == "torch.jit._pickle":
                return o.Args.Count > 0 ? FromFile(o.Args[0], path) : null;
            default: throw Error($"attribute {path} holds {Describe(value)}, which conversion cannot use");
        }
    }

    private object? Constant(string name)
    {
        if (!name.StartsWith('c') || !int.TryParse(name.AsSpan(1), out int index) || _file.Constants is not PyTuple tuple
            || index < 0 || index >= tuple.Count)
            throw Error($"CONSTANTS.{name} is not in constants.pkl");
        var value = tuple[index];
        if (value is PtTensor t && t.ElementCount <= 64 && t.DType is not DType.BFloat16)
            return TensorValue.Constant(t.ToDoubleArray(), t.Shape.ToArray(), t.DType);
        return FromFile(value, "const_" + name);
    }

    public static string Describe(object? value) => value switch
    {
        null => "None",
        TensorValue t => t.ToString(),
        ModuleValue m => $"module {m.Class.QualifiedName}",
        QualifiedName q => q.Name,
        List<object?> l => $"list[{l.Count}]",
        TupleValue t => $"tuple[{t.Items.Length}]",
        string s => $"'{s}'",
        _ => value.ToString() ?? value.GetType().Name,
    };
}
