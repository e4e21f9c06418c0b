using System.Globalization;
using System.Text;
using PtSharp.Loading;
using PtSharp.Pickle;

namespace PtSharp.Scanning;

/// <summary>
/// Static analysis of one pickle: reads it with the loader's own <see cref="PickleReader"/> and simulates only what
/// decides which globals are reached — the stack, the marks and the memo — with inert placeholder values. Nothing is built or called. STACK_GLOBAL operands
/// are resolved through the simulated stack and memo; anything not a constant string is unresolvable and reported
/// dangerous. Semantic errors (stack underflow, missing memo entries) are reported as malformed and the scan goes
/// on, so the globals reported are a superset of those a real unpickler reaches before it fails.
/// </summary>
internal sealed class PickleScanner
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
    private const int MaxDecodedString = 1 << 20;

    /// <summary>Names of functions that unpickle bytes they are given.</summary>
    private static readonly HashSet<string> Loaders = new(StringComparer.Ordinal)
    {
        "pickle.loads", "pickle._loads", "pickle.load", "pickle._load", "_pickle.loads", "_pickle.load", "cPickle.loads",
        "dill.loads", "dill.load", "cloudpickle.loads", "joblib.load", "torch.load", "torch.serialization.load",
        "torch.serialization._load", "torch.serialization._legacy_load", "numpy.loads", "numpy.load",
        "numpy.core.multiarray.loads", "pandas.read_pickle", "pickle.Unpickler", "_pickle.Unpickler",
        "torch.storage._load_from_bytes", "torch._utils._load_from_bytes",
    };

    private readonly ScanContext _ctx;
    private readonly string _record;
    private readonly long? _fileBase;
    private readonly int _depth;
    private readonly List<Value> _stack = new(64);
    private readonly List<int> _marks = new(16);
    private readonly Dictionary<long, Value> _memo = new();
    private readonly List<Ref> _refs = [];
    private bool _reportedMalformed;
    private Ref? _last;
    private string? LastGlobal => _last?.Full;
    private readonly Dictionary<(string, string), Ref> _refByName = new();
    private int _protocol;

    private PickleScanner(ScanContext ctx, string record, long? fileBase, int depth)
    {
        _ctx = ctx;
        _record = record;
        _fileBase = fileBase;
        _depth = depth;
    }

    /// <summary>The outcome of scanning one pickle.</summary>
    public readonly record struct Result(bool Completed, int End, string? Error, int Opcodes, int Globals, string? LastGlobal);

    /// <summary>Scans the pickle starting at <paramref name="start"/>; returns where it stopped.</summary>
    public static Result Scan(ScanContext ctx, ReadOnlySpan<byte> data, int start, string record, long? fileBase, int depth = 0)
    {
        var s = new PickleScanner(ctx, record, fileBase, depth);
        ctx.PickleCount++;
        return s.Run(data, start);
    }

    private enum K : byte { Other, Str, Bytes, Global, Tuple, Call, Mark, Dict, None }

    /// <summary>One GLOBAL/STACK_GLOBAL/INST reference and how the pickle uses the object it imports.</summary>
    private sealed class Ref(string module, string name, long offset, string opcode)
    {
        public readonly string Module = module, Name = name, Opcode = opcode;
        public readonly long Offset = offset;
        public int Pushes = 1, Consumed;
        public bool Rebuilt, Vouched;
        public string? CalledBy, PatchedBy, StatefulBuild;
        public string Full => Module + "." + Name;
        public void Vouch() => Vouched = true;
        public void Unconsume() => Consumed--;
    }

    private sealed class Value
    {
        public static readonly Value Other = new() { Kind = K.Other };
        public static readonly Value NoneValue = new() { Kind = K.None };
        // Dicts are shared placeholders: whether one gets items is not tracked (NEWOBJ_EX kwargs count as arguments).
        public static readonly Value Dict = new() { Kind = K.Dict };
        public K Kind;
        public string? Text;        // Str: decoded text (null when too long or undecodable)
        public byte[]? Owned;       // Bytes made by a call (_codecs.encode)
        public int Start, Length;   // Str/Bytes: where the raw bytes are in the pickle
        public bool Latin1Text;     // Str: decoded from 8-bit bytes
        public string? Module, Name;// Global
        public Value[]? Items;      // Tuple items; Call: [callable, args]
        public Ref? Ref;            // Global: its reference; Call: the class or callable that made it
        public bool Plain;          // Call: an object rebuilt the plain way (cls.__new__(cls), state set by BUILD)
    }

    private Result Run(ReadOnlySpan<byte> data, int start)
    {
        var tok = new PickleReader(data, start);
        int ops = 0, globals = 0;
        bool frameReported = false;
        while (true)
        {
            if (!tok.Next(out var t))
            {
                string error = tok.Error!;
                Malformed(tok.Position, error);
                JudgeReferences();
                return new Result(false, tok.Position, error, ops, globals, LastGlobal);
            }
            ops++;
            if (t.CrossesFrame && !frameReported)
            {
                frameReported = true;
                _ctx.Add(ScanSeverity.Warning, ScanFindingKind.FrameViolation, null, _record, t.Position,
                    $"{PickleOpcodeTable.Name(t.Opcode)} crosses a FRAME boundary: pure-Python unpicklers and "
                    + "scanners stop here, the C unpickler torch uses does not", FileOffset(t.Position));
            }
            if (t.Opcode == PickleOpcode.Stop)
            {
                if (_stack.Count == 0) Malformed(t.Position, "STOP with an empty stack");
                JudgeReferences();
                return new Result(true, tok.Position, null, ops, globals, LastGlobal);
            }
            if (t.Opcode is PickleOpcode.Global or PickleOpcode.StackGlobal or PickleOpcode.Inst or PickleOpcode.Ext1
                or PickleOpcode.Ext2 or PickleOpcode.Ext4)
                globals++;
            Step(data, in t);
        }
    }

    private long? FileOffset(long offset) => _fileBase is long b ? b + offset : null;

    private void Malformed(long offset, string message)
    {
        _ctx.Malformed = true;
        if (_reportedMalformed) return;
        _reportedMalformed = true;
        _ctx.Add(ScanSeverity.Warning, ScanFindingKind.MalformedPickle, null, _record, offset,
            $"malformed pickle: {message}; a real unpickler stops here after running everything before it",
            FileOffset(offset));
    }

    private void Push(Value v) => _stack.Add(v);

    private Value Pop(long at)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) { Malformed(at, "stack underflow"); return Value.Other; }
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private Value Peek(long at)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) { Malformed(at, "stack underflow"); return Value.Other; }
        return _stack[^1];
    }

    private Value[] PopMark(long at)
    {
        if (_marks.Count == 0) { Malformed(at, "no MARK on the stack"); return []; }
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        if (mark > _stack.Count) mark = _stack.Count;
        var items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private static Value Tuple(Value[] items) => new() { Kind = K.Tuple, Items = items };

    private void Step(ReadOnlySpan<byte> data, in PickleInstruction t)
    {
        long at = t.Position;
        switch (t.Opcode)
        {
            case PickleOpcode.Proto: _protocol = (int)t.Int; break;
            case PickleOpcode.Frame: break;
            case PickleOpcode.Mark: _marks.Add(_stack.Count); break;
            case PickleOpcode.Pop: // CPython pops a MARK when the stack top is one
                if (_marks.Count > 0 && _marks[^1] == _stack.Count) _marks.RemoveAt(_marks.Count - 1);
                else Pop(at);
                break;
            case PickleOpcode.PopMark: PopMark(at); break;
            case PickleOpcode.Dup: Push(Pushed(Peek(at))); break;

            // Scalars and containers whose contents never name a global.
            case PickleOpcode.NewTrue: case PickleOpcode.NewFalse: case PickleOpcode.BinInt: case PickleOpcode.BinInt1:
            case PickleOpcode.BinInt2: case PickleOpcode.Long1: case PickleOpcode.Long4: case PickleOpcode.Int:
            case PickleOpcode.Long: case PickleOpcode.BinFloat: case PickleOpcode.Float: case PickleOpcode.EmptyList:
            case PickleOpcode.EmptySet:
                Push(Value.Other);
                break;
            case PickleOpcode.None: Push(Value.NoneValue); break;
            case PickleOpcode.EmptyDict: Push(Value.Dict); break;
            case PickleOpcode.EmptyTuple: Push(Tuple([])); break;
            case PickleOpcode.Tuple1: { var a = Pop(at); Push(Tuple([a])); break; }
            case PickleOpcode.Tuple2: { var b = Pop(at); var a = Pop(at); Push(Tuple([a, b])); break; }
            case PickleOpcode.Tuple3:
                {
                    var c = Pop(at);
                    var b = Pop(at);
                    var a = Pop(at);
                    Push(Tuple([a, b, c]));
                    break;
                }
            case PickleOpcode.Tuple: Push(Tuple(PopMark(at))); break;
            case PickleOpcode.List: case PickleOpcode.FrozenSet: PopMark(at); Push(Value.Other); break;
            case PickleOpcode.Dict: PopMark(at); Push(Value.Dict); break;
            case PickleOpcode.Append: Pop(at); Peek(at); break;
            case PickleOpcode.Appends: case PickleOpcode.AddItems: PopMark(at); Peek(at); break;
            case PickleOpcode.SetItems: PopMark(at); Peek(at); break;
            case PickleOpcode.SetItem: Pop(at); Pop(at); Peek(at); break;

            // Text.
            case PickleOpcode.BinUnicode: case PickleOpcode.ShortBinUnicode: case PickleOpcode.BinUnicode8:
                Push(Text(t.Argument, t.ArgumentOffset, latin1: false));
                break;
            case PickleOpcode.BinString: case PickleOpcode.ShortBinString:
                Push(Text(t.Argument, t.ArgumentOffset, latin1: true));
                break;
            case PickleOpcode.Unicode:
                Push(new Value { Kind = K.Str, Text = PickleText.DecodeRawUnicodeEscape(t.Argument) });
                break;
            case PickleOpcode.String: Push(new Value { Kind = K.Str, Text = DecodeQuoted(t.Argument) }); break;
            // Bytes.
            case PickleOpcode.BinBytes: case PickleOpcode.ShortBinBytes: case PickleOpcode.BinBytes8:
            case PickleOpcode.ByteArray8:
                Push(new Value { Kind = K.Bytes, Start = t.ArgumentOffset, Length = t.Argument.Length });
                break;
            case PickleOpcode.NextBuffer: Push(Value.Other); break;
            case PickleOpcode.ReadOnlyBuffer: Peek(at); break;

            // Memo.
            case PickleOpcode.Put: Put(ParseIndex(t.Argument, at), at); break;
            case PickleOpcode.BinPut: case PickleOpcode.LongBinPut: Put(t.Int, at); break;
            case PickleOpcode.Memoize: Put(_memo.Count, at); break;
            case PickleOpcode.Get: Get(ParseIndex(t.Argument, at), at); break;
            case PickleOpcode.BinGet: case PickleOpcode.LongBinGet: Get(t.Int, at); break;

            // Globals.
            case PickleOpcode.Global:
                Push(Global(Line(t.Argument), Line(t.Name), at, "GLOBAL"));
                break;
            case PickleOpcode.StackGlobal:
                {
                    var name = Pop(at);
                    var module = Pop(at);
                    if (module.Kind == K.Str && name.Kind == K.Str && module.Text is { } m && name.Text is { } n
                        && m.Length <= 4096 && n.Length <= 4096)
                    {
                        Push(Global(m, n, at, "STACK_GLOBAL"));
                    }
                    else
                    {
                        _ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.UnresolvableGlobal, null, _record, at,
                            $"STACK_GLOBAL on operands that are not constant strings ({Describe(module)}, "
                            + $"{Describe(name)}): the global it imports cannot be known without running the pickle",
                            FileOffset(at));
                        Push(new Value { Kind = K.Global, Module = "?", Name = "?" });
                    }
                    break;
                }
            case PickleOpcode.Ext1: case PickleOpcode.Ext2: case PickleOpcode.Ext4:
                _ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.UnresolvableGlobal, null, _record, at,
                    $"{PickleOpcodeTable.Name(t.Opcode)} {t.Int} takes a global from copyreg's extension registry, "
                    + "which the file cannot show", FileOffset(at));
                Push(new Value { Kind = K.Global, Module = "?", Name = "?" });
                break;
            case PickleOpcode.Inst:
                {
                    var g = Global(Line(t.Argument), Line(t.Name), at, "INST");
                    var args = PopMark(at);
                    Push(Invoke(data, g, Tuple(args), at, "INST"));
                    break;
                }
            case PickleOpcode.Obj:
                {
                    var items = PopMark(at);
                    if (items.Length == 0) { Malformed(at, "OBJ without a class"); Push(Value.Other); break; }
                    Push(Invoke(data, items[0], Tuple(items[1..]), at, "OBJ"));
                    break;
                }
            case PickleOpcode.Reduce:
                {
                    var args = Pop(at);
                    var callable = Pop(at);
                    Push(Invoke(data, callable, args, at, "REDUCE"));
                    break;
                }
            case PickleOpcode.NewObj:
                {
                    var args = Pop(at);
                    var cls = Pop(at);
                    Push(Invoke(data, cls, args, at, "NEWOBJ"));
                    break;
                }
            case PickleOpcode.NewObjEx:
                {
                    var kwargs = Pop(at);
                    var args = Pop(at);
                    var cls = Pop(at);
                    Push(Invoke(data, cls, kwargs.Kind == K.None ? args : Tuple([args, kwargs]), at, "NEWOBJ_EX"));
                    break;
                }
            case PickleOpcode.Build: // calls the target's __setstate__, or sets its attributes
                Build(Pop(at), Peek(at), at);
                break;
            case PickleOpcode.PersId: Push(TextPersistentId(t.Argument, at)); break;
            case PickleOpcode.BinPersId: Push(PersistentId(Pop(at))); break;
            default:
                Malformed(at, $"unexpected opcode {PickleOpcodeTable.Name(t.Opcode)}");
                break;
        }
    }

    private Value Global(string module, string name, long at, string opcode)
    {
        // Python 3 imports what _compat_pickle maps Python 2 names to (protocols 0-2), then torch's own renames.
        (module, name) = CompatPickle.Map(_protocol, module, name);
        var (m, n) = Torch.PythonNames.Normalize(module, name);
        _ctx.Reference(m, n, _record, at);
        // One use record per global and pickle: its strongest use decides (200,000 references cost one judgement).
        if (_refByName.TryGetValue((m, n), out var r)) r.Pushes++;
        else
        {
            r = new Ref(m, n, at, opcode);
            _refByName[(m, n)] = r;
            _refs.Add(r);
        }
        _last = r;
        return new Value { Kind = K.Global, Module = r.Module, Name = r.Name, Ref = r };
    }

    private static Value Pushed(Value v)
    {
        if (v.Ref is { } r && v.Kind == K.Global) r.Pushes++;
        return v;
    }

    /// <summary>Judges every global of this pickle by its strongest use; references never consumed are judged by name.</summary>
    private void JudgeReferences()
    {
        foreach (var r in _refs)
        {
            long? fo = FileOffset(r.Offset);
            if (r.PatchedBy is { } p) _ctx.Judge(r.Module, r.Name, GlobalUse.Patched, _record, r.Offset, $"{p} sets attributes of", fo);
            if (r.CalledBy is { } c) _ctx.Judge(r.Module, r.Name, GlobalUse.Called, _record, r.Offset, $"{c} calls", fo);
            if (r.StatefulBuild is { } sb)
                _ctx.Judge(r.Module, r.Name, GlobalUse.Called, _record, r.Offset, $"BUILD hands {sb} to the __setstate__ of", fo);
            if (r.Rebuilt) _ctx.Judge(r.Module, r.Name, GlobalUse.Rebuilt, _record, r.Offset, $"{r.Opcode} rebuilds an object of", fo);
            bool usedAsValue = r.Pushes > r.Consumed;
            if (usedAsValue || r.CalledBy is null && r.PatchedBy is null && !r.Rebuilt && r.StatefulBuild is null && !r.Vouched)
                _ctx.Judge(r.Module, r.Name, GlobalUse.Referenced, _record, r.Offset, $"{r.Opcode} references", fo);
            else if (r.Vouched && r.CalledBy is null && !r.Rebuilt) _ctx.Vouch(r.Module, r.Name);
        }
        _refs.Clear();
        _refByName.Clear();
    }

    /// <summary>BUILD: attributes of a module or class itself are a patch; a non-dict state reaches a __setstate__.</summary>
    private void Build(Value state, Value target, long at)
    {
        if (target.Kind == K.Global && target.Ref is { } g) { g.PatchedBy ??= "BUILD"; return; }
        if (target.Kind != K.Call || target.Ref is not { } cls || !target.Plain || UsePolicy.IsInert(cls.Full)) return;
        // A TorchScript class's __setstate__ is TorchScript code in the archive, judged by its ops
        // (TorchScriptCodeScanner); Python cannot import a __torch__ module, so no other __setstate__ runs.
        if (cls.Module == "__torch__" || cls.Module.StartsWith("__torch__.", StringComparison.Ordinal)) return;
        if (PlainState(state) || state.Kind == K.Tuple && state.Items is { Length: 2 } two && PlainState(two[0]) && PlainState(two[1]))
            return;
        cls.StatefulBuild ??= Describe(state);
    }

    private static bool PlainState(Value v) => v.Kind is K.Dict or K.None;

    private static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || s[0] == '_' || !char.IsLetter(s[0])) return false;
        foreach (char c in s) if (!char.IsLetterOrDigit(c) && c != '_') return false;
        return true;
    }

    private static Value[] Items(Value args) => args.Kind == K.Tuple ? args.Items ?? [] : [args];

    private static Ref? Consume(Value v)
    {
        if (v.Kind != K.Global || v.Ref is not { } r) return null;
        r.Consumed++;
        return r;
    }

    private static Value Call(Value callable, Value args) => new() { Kind = K.Call, Items = [callable, args] };

    /// <summary>
    /// REDUCE / NEWOBJ / OBJ / INST: what is called, and how, decides the risk; copyreg's and getattr's inert shapes
    /// are recognised; bytes handed to a loader are scanned as a pickle.
    /// </summary>
    private Value Invoke(ReadOnlySpan<byte> data, Value callable, Value args, long at, string opcode)
    {
        if (callable.Kind == K.Call)
        {
            _ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.IndirectCall, null, _record, at,
                $"{opcode} calls an object returned by another call (an attribute or getattr chain): what runs cannot be known without running the pickle", FileOffset(at));
            // The call that produced the callable is no longer inert by its shape (getattr of an attribute that is called).
            if (callable.Ref is { } producer) producer.CalledBy ??= opcode;
            return Call(callable, args);
        }
        if (callable.Kind != K.Global) return Call(callable, args);
        var r = Consume(callable);
        string full = callable.Module + "." + callable.Name;
        var items = Items(args);
        switch (full)
        {
            case "_codecs.encode" when items is { Length: >= 1 } a && a[0].Kind == K.Str:
                {
                    r?.Vouch();
                    // Protocol 2 writes bytes as _codecs.encode(latin-1 text, 'latin1'); keep them for nested loaders.
                    var text = StringValue(data, a[0]);
                    if (text is null) break;
                    var bytes = new byte[text.Length];
                    for (int i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
                    return new Value { Kind = K.Bytes, Owned = bytes };
                }
            case "builtins.bytes" or "builtins.bytearray" or "io.BytesIO" or "_io.BytesIO" when items is { Length: >= 1 } b && b[0].Kind == K.Bytes:
                if (r is not null) r.CalledBy ??= opcode;
                return b[0];
            case "builtins.getattr" when opcode == "REDUCE" && items is [{ Kind: K.Global }, { Kind: K.Str, Text: { } attr }] && IsIdentifier(attr):
                // getattr(Class, 'NAME'): how Python 3.11 pickles Enum members. The class is judged as a reference;
                // calling the attribute is an indirect call.
                r?.Vouch();
                return new Value { Kind = K.Call, Items = [callable, args], Ref = r };
            case "copyreg._reconstructor" when items is [{ Kind: K.Global } cls, { Kind: K.Global } b, var state]:
                {
                    // object.__new__-style rebuild: base.__new__(cls, state), and base.__init__(obj, state) unless base is object.
                    r?.Vouch();
                    var c = Consume(cls);
                    if (c is not null) c.Rebuilt = true;
                    var baseRef = Consume(b);
                    string baseName = b.Module + "." + b.Name;
                    if (baseName == "builtins.object" && state.Kind is K.None) baseRef?.Vouch();
                    else if (baseRef is not null && !UsePolicy.IsInertCallable(baseName)) baseRef.CalledBy ??= "copyreg._reconstructor";
                    else baseRef?.Vouch();
                    return new Value { Kind = K.Call, Items = [callable, args], Ref = c, Plain = true };
                }
            case "copyreg.__newobj__" when items is [{ Kind: K.Global } cls, ..]:
                r?.Vouch();
                return New(cls, Tuple(items[1..]), "copyreg.__newobj__");
            case "copyreg.__newobj_ex__" when items is [{ Kind: K.Global } cls, var a2, var kw]:
                r?.Vouch();
                return New(cls, kw.Kind == K.None ? a2 : Tuple([a2, kw]), "copyreg.__newobj_ex__");
            case "torch._tensor._rebuild_from_type_v2" or "torch._tensor._rebuild_from_type" when items is [{ Kind: K.Global } func, ..]:
                // The reconstructor calls func(*args); the type is only used for as_subclass.
                if (Consume(func) is { } f) f.CalledBy ??= full;
                break;
        }
        if (Loaders.Contains(full) && items is { Length: >= 1 } la && la[0].Kind == K.Bytes)
            Nested(data, la[0], full, at);
        if (opcode is "NEWOBJ" or "NEWOBJ_EX" or "OBJ" or "INST")
        {
            r?.Unconsume();
            return New(callable, args, opcode);
        }
        if (r is not null) r.CalledBy ??= opcode;
        return new Value { Kind = K.Call, Items = [callable, args], Ref = r };
    }

    /// <summary>
    /// cls.__new__(cls, *args) (NEWOBJ, copyreg.__newobj__) or cls(*args) (OBJ, INST): without arguments it is how
    /// pickle rebuilds a plain object; with arguments it runs the class's own code.
    /// </summary>
    private static Value New(Value cls, Value args, string how)
    {
        var r = Consume(cls);
        bool plain = args.Kind == K.Tuple && (args.Items is null || args.Items.Length == 0);
        if (r is not null)
        {
            if (plain) r.Rebuilt = true;
            else r.CalledBy ??= how;
        }
        return new Value { Kind = K.Call, Items = [cls, args], Ref = r, Plain = plain };
    }

    private void Nested(ReadOnlySpan<byte> data, Value bytes, string loader, long at)
    {
        string record = $"{_record}>{loader}@{at}";
        if (_depth + 1 > _ctx.Options.MaxNestingDepth)
        {
            _ctx.Add(ScanSeverity.Warning, ScanFindingKind.LimitReached, loader, _record, at, $"pickle nested more than {_ctx.Options.MaxNestingDepth} levels deep was not scanned", FileOffset(at));
            return;
        }
        if (!_ctx.Spend(bytes.Owned?.Length ?? bytes.Length, _record)) return;
        _ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.NestedPickle, loader, _record, at,
            $"{loader} is given {(bytes.Owned?.Length ?? bytes.Length)} bytes from this file; they are scanned as record '{record}'", FileOffset(at));
        if (bytes.Owned is { } owned) Scan(_ctx, owned, 0, record, null, _depth + 1);
        else Scan(_ctx, data.Slice(bytes.Start, bytes.Length), 0, record, _fileBase is long b ? b + bytes.Start : null, _depth + 1);
    }

    /// <summary>
    /// torch's legacy loader resolves a <c>('module', cls, file, source)</c> persistent id to <c>cls</c> (it is how
    /// a pickled module's class is written); any other persistent id is data the pickle cannot turn into code.
    /// </summary>
    private static Value PersistentId(Value pid) =>
        pid is { Kind: K.Tuple, Items: [{ Kind: K.Str, Text: "module" }, { Kind: K.Global } cls, ..] }
            ? cls
            : Value.Other;

    /// <summary>Protocol 0 writes the legacy persistent id tuple as its str() (see LegacyPersistentIdText).</summary>
    private Value TextPersistentId(ReadOnlySpan<byte> line, long at)
    {
        PyTuple? pid;
        try { pid = LegacyPersistentIdText.TryParse(Encoding.Latin1.GetString(line), _record, at); }
        catch (Errors.PtFormatException) { return Value.Other; }
        return pid is [string tag, PyGlobal cls, ..] && tag == "module"
            ? Global(cls.Module, cls.Name, at, "PERSID")
            : Value.Other;
    }

    private void Put(long index, long at)
    {
        var v = Peek(at);
        _memo[index] = v;
    }

    private void Get(long index, long at)
    {
        if (_memo.TryGetValue(index, out var v)) Push(Pushed(v));
        else { Malformed(at, $"memo entry {index} was never stored"); Push(Value.Other); }
    }

    private long ParseIndex(ReadOnlySpan<byte> line, long at)
    {
        if (PickleIntegerText.TryParseMemoIndex(line, out long v)) return v;
        Malformed(at, $"memo index '{Printable(Encoding.Latin1.GetString(line))}' is not a number");
        return long.MinValue;
    }

    private static Value Text(ReadOnlySpan<byte> bytes, int start, bool latin1)
    {
        var v = new Value { Kind = K.Str, Start = start, Length = bytes.Length, Latin1Text = latin1 };
        if (bytes.Length <= MaxDecodedString) v.Text = Decode(bytes, latin1);
        return v;
    }

    private static string? StringValue(ReadOnlySpan<byte> data, Value v) =>
        v.Text ?? (v.Length > 0 && (long)v.Start + v.Length <= data.Length ? Decode(data.Slice(v.Start, v.Length), v.Latin1Text) : null);

    private static string? Decode(ReadOnlySpan<byte> bytes, bool latin1)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { return latin1 ? Encoding.Latin1.GetString(bytes) : null; }
    }

    /// <summary>GLOBAL/INST lines: CPython decodes them as UTF-8 (invalid bytes make it fail, so the global is never imported).</summary>
    private static string Line(ReadOnlySpan<byte> line) => Decode(line, latin1: true) ?? "";

    private static string Describe(Value v) => v.Kind switch
    {
        K.Str when v.Text is { } s => s.Length > 4096 ? "a very long string" : "'" + Printable(s) + "'",
        K.Str => "an undecodable string",
        K.Call => "the result of a call",
        K.Global => "a global",
        K.Tuple => "a tuple",
        K.Bytes => "bytes",
        _ => "a value",
    };

    private static string Printable(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s.Length > 60 ? s[..60] : s) sb.Append(c is >= ' ' and < (char)0x7F ? c : '?');
        return sb.ToString();
    }

    /// <summary>Protocol-0 STRING: a quoted Python repr with backslash escapes, decoded as the unpickler decodes it.</summary>
    private static string DecodeQuoted(ReadOnlySpan<byte> line)
    {
        while (line.Length > 0 && line[^1] is (byte)' ' or (byte)'\r' or (byte)'\t') line = line[..^1];
        if (line.Length >= 2 && line[0] == line[^1] && line[0] is (byte)'\'' or (byte)'"') line = line[1..^1];
        return PickleText.Decode8Bit(PickleText.Unescape(line));
    }
}
