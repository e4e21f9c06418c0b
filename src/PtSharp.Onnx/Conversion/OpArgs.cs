namespace PtSharp.Onnx.Conversion;

/// <summary>An aten call's arguments bound to the op schema's parameter names (positional, then keyword).</summary>
internal sealed class OpArgs
{
    private readonly Interpreter _it;
    private readonly object?[] _values;
    private readonly bool[] _given;

    public OpArgs(Interpreter it, string op, string[] names, List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        _it = it;
        Op = op;
        if (args.Count > names.Length) throw it.Error($"takes at most {names.Length} arguments, {args.Count} given", Aten(op));
        _values = new object?[names.Length];
        _given = new bool[names.Length];
        for (int i = 0; i < args.Count; i++) { _values[i] = args[i]; _given[i] = true; }
        foreach (var (name, value) in kwargs)
        {
            int i = Array.IndexOf(names, name);
            if (i < 0) throw it.Error($"has no argument '{name}'", Aten(op));
            _values[i] = value;
            _given[i] = true;
        }
    }

    public string Op { get; }

    public static string Aten(string op) => "aten::" + op;

    public bool Has(int i) => _given[i] && _values[i] is not null;
    public object? Raw(int i) => _values[i];

    public TensorValue Tensor(int i) => _values[i] as TensorValue
        ?? throw _it.Error($"argument {i} must be a tensor, got {Interpreter.Describe(_values[i])}", Aten(Op));

    public TensorValue? OptTensor(int i) => _values[i] is null ? null : Tensor(i);

    public long Long(int i, long fallback = 0) => Has(i) ? Builtins.ToLong(_it, _values[i]) : fallback;
    public double Double(int i, double fallback = 0) => Has(i) ? Builtins.ToDouble(_it, _values[i]) : fallback;
    public bool Bool(int i, bool fallback = false) => Has(i) ? _it.Truth(_values[i], Aten(Op)) : fallback;
    public string? String(int i) => _values[i] as string;

    /// <summary>An int list argument (a single int is repeated <paramref name="repeat"/> times, as aten's int[N]).</summary>
    public long[] Longs(int i, int repeat = 1, long[]? fallback = null)
    {
        if (!Has(i)) return fallback ?? [];
        return _values[i] switch
        {
            List<object?> l => l.Select(x => Builtins.ToLong(_it, x)).ToArray(),
            TupleValue t => t.Items.Select(x => Builtins.ToLong(_it, x)).ToArray(),
            var v => Enumerable.Repeat(Builtins.ToLong(_it, v), repeat).ToArray(),
        };
    }

    public List<TensorValue> Tensors(int i) => Builtins.Iter(_it, _values[i]).Select(x => x as TensorValue
        ?? throw _it.Error($"expected a list of tensors, found {Interpreter.Describe(x)}", Aten(Op))).ToList();
}
