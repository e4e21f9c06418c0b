using System.Numerics;
using System.Text;
using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Torch;

/// <summary>
/// Gives torch's pickles their meaning without executing them: known reconstructors (tensors, OrderedDict, sets,
/// bytes, torch.Size...) are mapped to pure data constructors, every other global becomes a <see cref="PyGlobal"/>
/// and every call of one an opaque <see cref="PyObject"/>. In strict mode a global outside the allowlist stops the
/// load before anything else happens.
/// </summary>
internal sealed partial class TorchPickleHost : IPickleHost
{
    private readonly IPersistentResolver _resolver;
    private readonly TorchReadPolicy _options;
    private readonly string _record;
    private readonly Dictionary<(string, string), PyGlobal> _globals = new();

    public TorchPickleHost(IPersistentResolver resolver, TorchReadPolicy options, string record)
    {
        _resolver = resolver;
        _options = options;
        _record = record;
    }

    // Copies of values already built (list(x), OrderedDict(x), latin-1 bytes from text, BUILD merges) cost no input
    // when the same memo entry is reused, so they are charged against a budget proportional to the input.
    // A well-formed pickle copies each value it wrote at most once or twice, so 4 per input byte is generous.
    private long _copyBudget = 1 << 16;

    public void Begin(long inputLength) => _copyBudget = Math.Max(1L << 16, Math.Min(inputLength, long.MaxValue / 8) * 4);

    private void Charge(long count, long at)
    {
        _copyBudget -= count;
        if (_copyBudget < 0)
            ThrowHelper.Limit("the pickle copies more values than its size allows (memo references repeated to multiply work)", _record, at);
    }

    /// <summary>Every global the pickle referenced, as <c>module.name</c>, in first-seen order.</summary>
    public List<string> SeenGlobals { get; } = [];

    public object? Global(string module, string name, long offset)
    {
        (module, name) = PythonNames.Normalize(module, name);
        if (!_globals.TryGetValue((module, name), out var g))
        {
            g = new PyGlobal(module, name);
            _globals[(module, name)] = g;
            SeenGlobals.Add(g.FullName);
        }
        if (_options.Strict && !IsAllowedInStrictMode(module, name))
            throw new PickleSecurityException(g.FullName, _record, offset);
        return g;
    }

    private bool IsAllowedInStrictMode(string module, string name)
    {
        if (WeightsOnlyAllowlist.BlockedModules.Contains(module)) return false;
        return WeightsOnlyAllowlist.IsAllowedByDefault(module, name) || _options.AllowGlobals.Contains(module + "." + name);
    }

    public object? PersistentLoad(object? pid, long offset) => _resolver.Resolve(pid, _record, offset);

    public object? PersistentLoadItems(ReadOnlySpan<object?> pid, long offset) => _resolver.ResolveItems(pid, _record, offset);

    public object? Reduce(object? callable, PyTuple args, long offset)
    {
        if (callable is not PyGlobal g) return new PyObject(callable, args, PyConstruction.Reduce);
        return IsTensorModule(g) ? RebuildTensor(g, args.Items, args, offset) : ReduceData(g, args, offset);
    }

    public object? ReduceItems(object? callable, ReadOnlySpan<object?> args, long offset) =>
        callable is PyGlobal g && IsTensorModule(g) ? RebuildTensor(g, args, null, offset) : Reduce(callable, new PyTuple(args.ToArray()), offset);

    private static bool IsTensorModule(PyGlobal g) => g.Module is "torch._utils" or "torch._tensor";

    private object? ReduceData(PyGlobal g, PyTuple args, long at)
    {
        switch (g.FullName)
        {
            case "collections.OrderedDict":
            case "collections.Counter":
            case "builtins.dict":
                {
                    var d = new PyDict(g.FullName == "builtins.dict" ? null : g.FullName);
                    if (args.Count >= 1) FillDict(d, args[0], at);
                    return d;
                }
            case "builtins.set":
            case "builtins.frozenset":
                {
                    var s = new PySet(frozen: g.Name == "frozenset");
                    if (args.Count >= 1) s.AddRange(Iterate(args[0], "set contents", at));
                    return s;
                }
            case "builtins.list":
                return args.Count >= 1 ? new PyList(Iterate(args[0], "list contents", at)) : new PyList();
            case "builtins.tuple":
                return args.Count >= 1 ? new PyTuple(Iterate(args[0], "tuple contents", at).ToArray()) : PyTuple.Empty;
            case "_codecs.encode":
                if (args.Count >= 1 && args[0] is string text)
                    return EncodeText(text, args.Count >= 2 ? args[1] as string : "utf-8", at);
                break;
            case "builtins.bytes":
                if (args.Count == 0) return Array.Empty<byte>();
                if (args[0] is byte[] b) return b;
                if (args[0] is string s1 && args.Count >= 2 && args[1] is string e1) return EncodeText(s1, e1, at);
                break;
            case "builtins.bytearray":
                if (args.Count == 0) return new PyByteArray([]);
                if (args[0] is byte[] b2) return new PyByteArray(b2);
                if (args[0] is string s2) return new PyByteArray(EncodeText(s2, args.Count >= 2 ? args[1] as string : "utf-8", at));
                break;
            case "builtins.complex":
                if (args.Count is 1 or 2 && TryDouble(args[0], out double re) && (args.Count == 1 || TryDouble(args[1], out _)))
                {
                    TryDouble(args.Count == 2 ? args[1] : 0L, out double im);
                    return new Complex(re, im);
                }
                break;
            case "torch.Size":
                if (args.Count == 1) return new PyTuple(Iterate(args[0], "torch.Size", at).ToArray(), "torch.Size");
                break;
            case "torch.device":
                return MakeDevice(args);
            case "torch.serialization._get_layout":
                if (args.Count == 1 && args[0] is string layout) return new TorchLayout(layout);
                break;
            case "torch.jit._pickle.restore_type_tag":
                if (args.Count >= 1) return args[0];
                break;
            case "torch.jit._pickle.build_intlist":
            case "torch.jit._pickle.build_tensorlist":
            case "torch.jit._pickle.build_doublelist":
            case "torch.jit._pickle.build_boollist":
            case "torch.jit._pickle.build_complexlist":
                if (args.Count == 1) return new PyList(Iterate(args[0], g.Name, at));
                break;
        }
        return new PyObject(g, args, PyConstruction.Reduce);
    }

    public object? NewObject(object? cls, PyTuple args, PyDict? kwargs, PyConstruction how, long offset)
    {
        if (cls is PyGlobal g)
        {
            switch (g.FullName)
            {
                case "torch.nn.parameter.Parameter" when args.Count >= 1 && args[0] is PtTensor t:
                    t.IsParameter = true;
                    t.RequiresGrad = args.Count < 2 || args[1] is not bool rg || rg;
                    return t;
                case "collections.OrderedDict" when args.Count == 0:
                case "collections.Counter" when args.Count == 0:
                    return new PyDict(g.FullName);
                case "builtins.set" when args.Count == 0:
                    return new PySet(false);
                case "builtins.dict" when args.Count == 0:
                    return new PyDict();
                case "builtins.list" when args.Count == 0:
                    return new PyList();
            }
        }
        return new PyObject(cls, args, how, kwargs);
    }

    public void Build(object? target, object? state, long offset)
    {
        switch (target)
        {
            case PyObject o:
                if (o.State is PyDict existing && state is PyDict more) { Charge(more.Count, offset); foreach (var kv in more) existing.Set(kv.Key, kv.Value); }
                else o.State = state;
                break;
            case PyDict d:
                {
                    // BUILD on a dict subclass updates the instance __dict__ (e.g. a state dict's _metadata).
                    var (attrs, slots) = SplitState(state);
                    if (attrs is null && slots is null && state is not null)
                        ThrowHelper.Format(PtErrorKind.CorruptPickle, $"BUILD state for a dict is {PickleMachine.Describe(state)}", _record, offset);
                    d.Attributes ??= new PyDict();
                    Charge((attrs?.Count ?? 0) + (slots?.Count ?? 0), offset);
                    if (attrs is not null) foreach (var kv in attrs) d.Attributes.Set(kv.Key, kv.Value);
                    if (slots is not null) foreach (var kv in slots) d.Attributes.Set(kv.Key, kv.Value);
                    break;
                }
            case PtTensor t:
                t.PythonState = state;
                break;
            default:
                ThrowHelper.Format(PtErrorKind.CorruptPickle, $"BUILD on {PickleMachine.Describe(target)}, which has no state", _record, offset);
                break;
        }
    }

    private static (PyDict? Attrs, PyDict? Slots) SplitState(object? state) => state switch
    {
        PyDict d => (d, null),
        PyTuple { Count: 2 } t => (t[0] as PyDict, t[1] as PyDict),
        _ => (null, null),
    };

    private void FillDict(PyDict d, object? source, long at)
    {
        if (source is PyDict other) { Charge(other.Count, at); foreach (var kv in other) d.Set(kv.Key, kv.Value); return; }
        foreach (var item in Iterate(source, "dict items", at))
        {
            if (item is IReadOnlyList<object?> pair and (PyTuple or PyList) && pair.Count == 2) d.Set(pair[0], pair[1]);
            else ThrowHelper.Format(PtErrorKind.CorruptPickle, "dict item is not a key/value pair", _record, at);
        }
    }

    private IEnumerable<object?> Iterate(object? source, string what, long at) => source switch
    {
        PyList l => Charged(l, l.Count, at),
        PyTuple t => Charged(t, t.Count, at),
        PySet s => Charged(s, s.Count, at),
        PyDict d => Charged(d.Keys, d.Count, at),
        null => ThrowHelper.Format<IEnumerable<object?>>(PtErrorKind.CorruptPickle, $"{what} is None, not a sequence", _record, at),
        _ => ThrowHelper.Format<IEnumerable<object?>>(PtErrorKind.CorruptPickle, $"{what} is {PickleMachine.Describe(source)}, not a sequence", _record, at),
    };

    private IEnumerable<object?> Charged(IEnumerable<object?> items, int count, long at)
    {
        Charge(count, at);
        return items;
    }

    private byte[] EncodeText(string text, string? encoding, long at)
    {
        Charge(text.Length, at);
        switch ((encoding ?? "utf-8").ToLowerInvariant().Replace('_', '-'))
        {
            case "latin1":
            case "latin-1":
            case "iso-8859-1":
                {
                    var bytes = new byte[text.Length];
                    for (int i = 0; i < text.Length; i++)
                    {
                        if (text[i] > 0xFF) ThrowHelper.Format(PtErrorKind.CorruptPickle, "latin-1 bytes text holds a character above U+00FF", _record, at);
                        bytes[i] = (byte)text[i];
                    }
                    return bytes;
                }
            case "utf-8":
            case "utf8":
                return Encoding.UTF8.GetBytes(text);
            case "ascii":
                return Encoding.ASCII.GetBytes(text);
            default:
                return ThrowHelper.Format<byte[]>(PtErrorKind.Unsupported, $"text encoding '{encoding}' is not supported for bytes values", _record, at);
        }
    }

    private static bool TryDouble(object? v, out double d)
    {
        switch (v)
        {
            case double x: d = x; return true;
            case long l: d = l; return true;
            case bool b: d = b ? 1 : 0; return true;
            case BigInteger bi: d = (double)bi; return true;
            default: d = 0; return false;
        }
    }

    private static object MakeDevice(PyTuple args)
    {
        if (args.Count >= 1 && args[0] is string type)
        {
            long? index = args.Count >= 2 && args[1] is long i ? i : null;
            int colon = type.IndexOf(':');
            if (index is null && colon > 0 && long.TryParse(type.AsSpan(colon + 1), out long parsed)) return new TorchDevice(type[..colon], parsed);
            return new TorchDevice(type, index);
        }
        return new PyObject(new PyGlobal("torch", "device"), args, PyConstruction.Reduce);
    }
}
