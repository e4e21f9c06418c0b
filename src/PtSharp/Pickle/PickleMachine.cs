using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using PtSharp.Errors;
using PtSharp.IO;

namespace PtSharp.Pickle;

/// <summary>
/// A pickle virtual machine for protocols 0–5 that builds inert values only. Hand-written because the BCL has no
/// pickle reader and because safety needs control of every opcode: no opcode can import or call code, every
/// length is checked against the remaining input before anything is allocated, and container mutations are
/// type-checked. Globals, calls and persistent ids are delegated to an <see cref="IPickleHost"/>.
/// </summary>
internal sealed unsafe partial class PickleMachine
{
    private readonly ByteWindow _input;
    private readonly string _record;
    private readonly IPickleHost _host;
    private readonly PickleLimits _limits;
    // The value stack is an array with a count (not a List) and the topmost MARK is cached in _floor: every
    // opcode pushes or pops, so these are the machine's innermost loop.
    private object?[] _values;
    private int _count;
    private readonly List<int> _marks = new(16);
    private int _floor;
    // Which memo ids exist: picklers number them 0, 1, 2, ... (a count covers those), other ids go to a set.
    private long _memoDenseCount;
    private HashSet<long>? _memoSparseIds;
    private int _memoCount;
    // Values of the entries the program reads back (all entries when the pre-pass could not tell which).
    private readonly MemoUsage? _memoFetched;
    private readonly Dictionary<long, object?> _memoValues = new();
    // When every index read back is small (torch pickles read a handful), their values live in an array instead.
    private const int SmallMemo = 1 << 16;
    private static readonly object NotStored = new();
    private readonly object?[]? _memoSmall;
    private readonly List<PyDict> _deferredDicts = [];
    private readonly long _start;
    private long _pos;

    public PickleMachine(ByteWindow input, string record, IPickleHost host, PickleLimits limits, long start = 0)
    {
        _input = input;
        _record = record;
        _host = host;
        _limits = limits;
        _start = start;
        _pos = start;
        _values = new object?[Math.Clamp(limits.MaxStackSize, 0, 64)];
        _memoFetched = MemoUsage.Scan(input, start);
        if (_memoFetched is { MaxFetched: < SmallMemo } usage)
        {
            _memoSmall = new object?[usage.MaxFetched + 1];
            Array.Fill(_memoSmall, NotStored);
        }
        host.Begin(input.Length - start);
    }

    /// <summary>Highest PROTO seen (0 when the pickle has no PROTO opcode).</summary>
    public int Protocol { get; private set; }

    /// <summary>Offset just past the STOP opcode once <see cref="Run"/> returned.</summary>
    public long Position => _pos;

    /// <summary>Runs the program until STOP and returns the value it leaves.</summary>
    public object? Run()
    {
        var span = new ReadOnlySpan<byte>(_input.Pointer + _start, (int)Math.Min(_input.Length - _start, int.MaxValue));
        var reader = new PickleReader(span);
        while (true)
        {
            if (!reader.Next(out var ins)) ReadFailed(in reader);
            long at = _start + ins.Position;
            if (ins.CrossesFrame) CrossedFrame(ins.Opcode, at);
            if (ins.Opcode == PickleOpcode.Stop)
            {
                _pos = _start + reader.Position;
                if (_count == 0) Fail("STOP with an empty stack", at);
                // Index what SETITEMS appended, while the load can still fail.
                foreach (var d in _deferredDicts) _ = d.Count;
                return _values[_count - 1];
            }
            Step(in ins, at, ref reader);
        }
    }

    private void Step(in PickleInstruction ins, long at, ref PickleReader reader)
    {
        switch (ins.Opcode)
        {
            case PickleOpcode.Proto: Protocol = Math.Max(Protocol, (int)ins.Int); break;
            case PickleOpcode.Frame: break; // the reader tracks frames
            case PickleOpcode.Mark:
                if (_marks.Count >= _limits.MaxMarkDepth) Limit($"more than {_limits.MaxMarkDepth} nested MARKs", at);
                _marks.Add(_count);
                _floor = _count;
                break;
            case PickleOpcode.Pop:
                if (_marks.Count > 0 && _marks[^1] == _count) PopMarkIndex(); // CPython pops a mark here
                else Pop(at);
                break;
            case PickleOpcode.PopMark: PopMark(at); break;
            case PickleOpcode.Dup: Push(Peek(at), at); break;

            case PickleOpcode.None: Push(null, at); break;
            case PickleOpcode.NewTrue: Push(BoxedTrue, at); break;
            case PickleOpcode.NewFalse: Push(BoxedFalse, at); break;
            case PickleOpcode.BinInt: case PickleOpcode.BinInt1: case PickleOpcode.BinInt2:
                Push(Box(ins.Int), at);
                break;
            case PickleOpcode.Long1: case PickleOpcode.Long4: Push(LittleEndianInteger(ins.Argument), at); break;
            case PickleOpcode.Int: Push(ParseTextInt(ins.Argument, at), at); break;
            case PickleOpcode.Long: Push(ParseTextLong(ins.Argument, at), at); break;
            case PickleOpcode.BinFloat: Push(ins.Double, at); break;
            case PickleOpcode.Float: Push(ParseTextFloat(ins.Argument, at), at); break;

            case PickleOpcode.BinUnicode: case PickleOpcode.ShortBinUnicode: case PickleOpcode.BinUnicode8:
                Push(Utf8(ins.Argument, at), at);
                break;
            case PickleOpcode.Unicode: Push(PickleText.DecodeRawUnicodeEscape(ins.Argument), at); break;
            case PickleOpcode.BinString: case PickleOpcode.ShortBinString:
                Push(PickleText.Decode8Bit(ins.Argument), at);
                break;
            case PickleOpcode.String: Push(PickleText.Decode8Bit(DecodeQuotedString(ins.Argument, at)), at); break;
            case PickleOpcode.BinBytes: case PickleOpcode.ShortBinBytes: case PickleOpcode.BinBytes8:
                Push(ins.Argument.ToArray(), at);
                break;
            case PickleOpcode.ByteArray8: Push(new PyByteArray(ins.Argument.ToArray()), at); break;
            case PickleOpcode.NextBuffer:
                Fail("NEXT_BUFFER needs an out-of-band buffer, and .pt files carry none", at, PtErrorKind.Unsupported);
                break;
            case PickleOpcode.ReadOnlyBuffer: Peek(at); break;

            case PickleOpcode.EmptyTuple: Push(PyTuple.Empty, at); break;
            case PickleOpcode.Tuple1: { var a = Pop(at); Push(new PyTuple([a]), at); break; }
            case PickleOpcode.Tuple2: { var b = Pop(at); var a = Pop(at); Push(new PyTuple([a, b]), at); break; }
            case PickleOpcode.Tuple3:
                {
                    var c = Pop(at);
                    var b = Pop(at);
                    var a = Pop(at);
                    Push(new PyTuple([a, b, c]), at);
                    break;
                }
            case PickleOpcode.Tuple:
                if (!TryPassTupleDirectly(ref reader)) Push(new PyTuple(PopMark(at)), at);
                break;
            case PickleOpcode.EmptyList: Push(new PyList(), at); break;
            case PickleOpcode.List: Push(new PyList(PopMark(at)), at); break;
            case PickleOpcode.EmptyDict: Push(new PyDict(), at); break;
            case PickleOpcode.Dict:
                {
                    var items = PopMark(at);
                    if (items.Length % 2 != 0) Fail("DICT with an odd number of items", at);
                    var d = new PyDict();
                    AddPairs(d, items, at);
                    Push(d, at);
                    break;
                }
            case PickleOpcode.EmptySet: Push(new PySet(frozen: false), at); break;
            case PickleOpcode.FrozenSet:
                {
                    var s = new PySet(frozen: true);
                    s.AddRange(PopMark(at));
                    Push(s, at);
                    break;
                }

            case PickleOpcode.Append: { var v = Pop(at); AppendTo(Peek(at), [v], at); break; }
            case PickleOpcode.Appends: { var items = PopMark(at); AppendTo(Peek(at), items, at); break; }
            case PickleOpcode.SetItem: { var v = Pop(at); var k = Pop(at); SetItems(Peek(at), [k, v], at); break; }
            case PickleOpcode.SetItems: { var items = PopMark(at); SetItems(Peek(at), items, at); break; }
            case PickleOpcode.AddItems:
                {
                    var items = PopMark(at);
                    if (Peek(at) is not PySet { IsFrozen: false } set)
                    {
                        Fail("ADDITEMS on something that is not a set", at);
                        return;
                    }
                    set.AddRange(items);
                    break;
                }

            case PickleOpcode.Put: MemoPut(ParsePutIndex(ins.Argument, at), at); break;
            case PickleOpcode.BinPut: case PickleOpcode.LongBinPut: MemoPut(ins.Int, at); break;
            case PickleOpcode.Memoize: MemoPut(_memoCount, at); break;
            case PickleOpcode.Get: MemoGet(ParseMemoIndex(ins.Argument, at), at); break;
            case PickleOpcode.BinGet: case PickleOpcode.LongBinGet: MemoGet(ins.Int, at); break;

            case PickleOpcode.Global:
                {
                    string module = Ascii(ins.Argument, at);
                    string name = Ascii(ins.Name, at);
                    Push(_host.Global(module, name, at), at);
                    break;
                }
            case PickleOpcode.StackGlobal:
                {
                    var name = Pop(at);
                    var module = Pop(at);
                    if (module is not string m || name is not string n)
                    {
                        Fail("STACK_GLOBAL needs two strings on the stack", at);
                        return;
                    }
                    Push(_host.Global(m, n, at), at);
                    break;
                }
            case PickleOpcode.Inst:
                {
                    string module = Ascii(ins.Argument, at);
                    string name = Ascii(ins.Name, at);
                    var args = PopMark(at);
                    var cls = _host.Global(module, name, at);
                    Push(_host.NewObject(cls, new PyTuple(args), null, PyConstruction.Instantiate, at), at);
                    break;
                }
            case PickleOpcode.Obj:
                {
                    var items = PopMark(at);
                    if (items.Length == 0) Fail("OBJ without a class", at);
                    Push(_host.NewObject(items[0], new PyTuple(items[1..]), null, PyConstruction.Instantiate, at), at);
                    break;
                }
            case PickleOpcode.Reduce:
                {
                    var args = Pop(at);
                    var callable = Pop(at);
                    if (args is not PyTuple t) { Fail("REDUCE arguments are not a tuple", at); return; }
                    Push(_host.Reduce(callable, t, at), at);
                    break;
                }
            case PickleOpcode.NewObj:
                {
                    var args = Pop(at);
                    var cls = Pop(at);
                    if (args is not PyTuple t) { Fail("NEWOBJ arguments are not a tuple", at); return; }
                    Push(_host.NewObject(cls, t, null, PyConstruction.NewObj, at), at);
                    break;
                }
            case PickleOpcode.NewObjEx:
                {
                    var kwargs = Pop(at);
                    var args = Pop(at);
                    var cls = Pop(at);
                    if (args is not PyTuple t || kwargs is not PyDict k)
                    {
                        Fail("NEWOBJ_EX needs an argument tuple and a keyword dict", at);
                        return;
                    }
                    Push(_host.NewObject(cls, t, k, PyConstruction.NewObjEx, at), at);
                    break;
                }
            case PickleOpcode.Build:
                {
                    var state = Pop(at);
                    _host.Build(Peek(at), state, at);
                    break;
                }
            case PickleOpcode.PersId:
                Push(_host.PersistentLoad(Ascii(ins.Argument, at), at), at);
                break;
            case PickleOpcode.BinPersId:
                Push(_host.PersistentLoad(Pop(at), at), at);
                break;
            case PickleOpcode.Ext1:
            case PickleOpcode.Ext2:
            case PickleOpcode.Ext4:
                Fail($"{ins.Opcode} refers to the copyreg extension registry, which .pt files do not use", at,
                    PtErrorKind.Unsupported);
                break;
            default:
                Fail($"unknown opcode 0x{(byte)ins.Opcode:X2}", at);
                break;
        }
    }
}
