using System.Numerics;
using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Writing;

/// <summary>
/// Turns an object tree (the values PtSharp reads, or ones built in .NET) into the protocol-2 pickle that
/// <c>torch.save</c> writes: the same reconstructors, persistent ids for storages, OrderedDict attributes via BUILD,
/// opaque objects written back with their original global, arguments and state.
/// </summary>
internal sealed partial class TorchPickler
{
    private const int MaxDepth = 1000;
    private const int BatchSize = 1000;
    private readonly PickleEmitter _e = new();
    private readonly Dictionary<object, int> _memo = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<object> _inProgress = new(ReferenceEqualityComparer.Instance);

    public StorageTable Storages { get; } = new();

    public byte[] Pickle(object? root)
    {
        _e.Proto(2);
        Save(root, "", 0);
        _e.Stop();
        return _e.ToArray();
    }

    private static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private bool TryGetMemo(object o)
    {
        if (!_memo.TryGetValue(o, out int id)) return false;
        _e.Get(id);
        return true;
    }

    private void Remember(object o) => _memo[o] = _e.Memoize();

    private void Save(object? value, string path, int depth)
    {
        if (depth > MaxDepth) throw new PtWriteException($"object tree is nested deeper than {MaxDepth} levels", path);
        switch (value)
        {
            case null: _e.None(); return;
            case bool b: _e.Bool(b); return;
            case long l: _e.Int(l); return;
            case int i: _e.Int(i); return;
            case short s: _e.Int(s); return;
            case sbyte sb: _e.Int(sb); return;
            case byte by: _e.Int(by); return;
            case ushort us: _e.Int(us); return;
            case uint ui: _e.Int(ui); return;
            case ulong ul: if (ul <= long.MaxValue) _e.Int((long)ul); else _e.Long(ul); return;
            case BigInteger bi: if (bi >= long.MinValue && bi <= long.MaxValue) _e.Int((long)bi); else _e.Long(bi); return;
            case double d: _e.Float(d); return;
            case float f: _e.Float(f); return;
            case string str: _e.String(str); return;
        }
        if (TryGetMemo(value)) return;
        switch (value)
        {
            case byte[] bytes: SaveBytes(bytes); Remember(value); return;
            case PyByteArray ba: Reduce("builtins", "bytearray", () => { SaveBytes(ba.Data); }, 1); Remember(value); return;
            case Complex c: Reduce("builtins", "complex", () => { _e.Float(c.Real); _e.Float(c.Imaginary); }, 2); Remember(value); return;
            case TorchDevice dev:
                Reduce("torch", "device", () => { _e.String(dev.Type); if (dev.Index is long idx) _e.Int(idx); }, dev.Index is null ? 1 : 2);
                Remember(value);
                return;
            case TorchLayout layout: Reduce("torch.serialization", "_get_layout", () => _e.String(layout.Name), 1); Remember(value); return;
            case PyGlobal g: _e.Global(g.Module, g.Name); Remember(value); return;
            case PyTuple t: SaveTuple(t, path, depth); return;
            case PyList list: SaveList(list, path, depth); return;
            case PyDict dict: SaveDict(dict, path, depth); return;
            case PySet set: SaveSet(set, path, depth); return;
            case PyObject obj: SaveObject(obj, path, depth); return;
            case PtTensor tensor: SaveTensor(tensor, path, depth); return;
        }
        throw new PtWriteException($"a {value.GetType().Name} cannot be written to a .pt file (use PyDict, PyList, PyTuple, PtTensor, numbers, strings, bytes)", path);
    }

    /// <summary>Protocol 2 has no bytes opcode: Python writes <c>_codecs.encode(latin1_text, 'latin1')</c>.</summary>
    private void SaveBytes(byte[] bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = (char)bytes[i];
        Reduce("_codecs", "encode", () => { _e.String(new string(chars)); _e.String("latin1"); }, 2);
    }

    /// <summary>GLOBAL module.name, an argument tuple written by <paramref name="args"/>, REDUCE.</summary>
    private void Reduce(string module, string name, Action args, int count)
    {
        _e.Global(module, name);
        TupleOf(args, count);
        _e.Op(PickleOpcode.Reduce);
    }

    private void TupleOf(Action items, int count)
    {
        switch (count)
        {
            case 0: _e.Op(PickleOpcode.EmptyTuple); return;
            case 1: items(); _e.Op(PickleOpcode.Tuple1); return;
            case 2: items(); _e.Op(PickleOpcode.Tuple2); return;
            case 3: items(); _e.Op(PickleOpcode.Tuple3); return;
            default: _e.Op(PickleOpcode.Mark); items(); _e.Op(PickleOpcode.Tuple); return;
        }
    }

    private void SaveTuple(PyTuple t, string path, int depth)
    {
        if (!_inProgress.Add(t)) throw new PtWriteException("a tuple contains itself", path);
        if (t.ClassName == "torch.Size")
        {
            _e.Global("torch", "Size");
            TupleOf(() => TupleOf(() => { for (int i = 0; i < t.Count; i++) Save(t[i], Child(path, i.ToString()), depth + 1); }, t.Count), 1);
            _e.Op(PickleOpcode.Reduce);
        }
        else TupleOf(() => { for (int i = 0; i < t.Count; i++) Save(t[i], Child(path, i.ToString()), depth + 1); }, t.Count);
        _inProgress.Remove(t);
        Remember(t);
    }

    private void SaveList(IReadOnlyList<object?> list, string path, int depth, object? memoKey = null)
    {
        _e.Op(PickleOpcode.EmptyList);
        Remember(memoKey ?? list);
        Appends(list, path, depth);
    }

    private void Appends(IReadOnlyList<object?> items, string path, int depth)
    {
        for (int start = 0; start < items.Count; start += BatchSize)
        {
            int end = Math.Min(items.Count, start + BatchSize);
            if (end - start == 1) { Save(items[start], Child(path, start.ToString()), depth + 1); _e.Op(PickleOpcode.Append); continue; }
            _e.Op(PickleOpcode.Mark);
            for (int i = start; i < end; i++) Save(items[i], Child(path, i.ToString()), depth + 1);
            _e.Op(PickleOpcode.Appends);
        }
    }

    private void SetItems(PyDict dict, string path, int depth)
    {
        var items = dict.ToList();
        for (int start = 0; start < items.Count; start += BatchSize)
        {
            int end = Math.Min(items.Count, start + BatchSize);
            if (end - start == 1)
            {
                Save(items[start].Key, path, depth + 1);
                Save(items[start].Value, Child(path, KeyText(items[start].Key)), depth + 1);
                _e.Op(PickleOpcode.SetItem);
                continue;
            }
            _e.Op(PickleOpcode.Mark);
            for (int i = start; i < end; i++)
            {
                Save(items[i].Key, path, depth + 1);
                Save(items[i].Value, Child(path, KeyText(items[i].Key)), depth + 1);
            }
            _e.Op(PickleOpcode.SetItems);
        }
    }

    private static string KeyText(object? key) => PyKeyText.Of(key);

    private void SaveDict(PyDict dict, string path, int depth)
    {
        if (dict.ClassName is { } cls)
        {
            int dot = cls.LastIndexOf('.');
            _e.Global(cls[..dot], cls[(dot + 1)..]);
            _e.Op(PickleOpcode.EmptyTuple);
            _e.Op(PickleOpcode.Reduce);
        }
        else _e.Op(PickleOpcode.EmptyDict);
        Remember(dict);
        SetItems(dict, path, depth);
        if (dict.Attributes is { Count: > 0 } attrs)
        {
            Save(attrs, path, depth + 1);
            _e.Op(PickleOpcode.Build);
        }
    }

    private void SaveSet(PySet set, string path, int depth)
    {
        _e.Global("builtins", set.IsFrozen ? "frozenset" : "set");
        TupleOf(() =>
        {
            _e.Op(PickleOpcode.EmptyList);
            _e.Memoize();
            Appends(set, path, depth);
        }, 1);
        _e.Op(PickleOpcode.Reduce);
        Remember(set);
    }

    private void SaveObject(PyObject obj, string path, int depth)
    {
        if (!_inProgress.Add(obj)) throw new PtWriteException("an object's constructor arguments contain the object itself", path);
        Save(obj.Callable, path, depth + 1);
        Save(obj.Args, path, depth + 1);
        switch (obj.Construction)
        {
            case PyConstruction.NewObj: _e.Op(PickleOpcode.NewObj); break;
            case PyConstruction.NewObjEx: Save(obj.Kwargs ?? new PyDict(), path, depth + 1); _e.Op(PickleOpcode.NewObjEx); break;
            default: _e.Op(PickleOpcode.Reduce); break;
        }
        _inProgress.Remove(obj);
        Remember(obj);
        if (obj.ListItems is { Count: > 0 } list) Appends(list, path, depth);
        if (obj.DictItems is { Count: > 0 } items) SetItems(items, path, depth);
        if (obj.State is not null)
        {
            Save(obj.State, path, depth + 1);
            _e.Op(PickleOpcode.Build);
        }
    }
}
