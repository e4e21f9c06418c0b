using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace PtSharp.Tests.Support;

/// <summary>
/// Emits raw pickle opcodes, one call per opcode, so a test states exactly which bytes a file holds. Opcode values
/// are spelled out here from CPython's Lib/pickle.py (not taken from the library under test). Higher-level helpers
/// (<see cref="StoragePid"/>, <see cref="Tensor"/>, <see cref="OrderedDict"/>) emit the shapes torch.save writes.
/// </summary>
internal sealed class PickleBuilder
{
    // Lib/pickle.py opcode values.
    public const byte MARK = 0x28, STOP = 0x2E, POP = 0x30, POP_MARK = 0x31, DUP = 0x32, FLOAT = 0x46, INT = 0x49,
        BININT = 0x4A, BININT1 = 0x4B, LONG = 0x4C, BININT2 = 0x4D, NONE = 0x4E, PERSID = 0x50, BINPERSID = 0x51,
        REDUCE = 0x52, STRING = 0x53, BINSTRING = 0x54, SHORT_BINSTRING = 0x55, UNICODE = 0x56, BINUNICODE = 0x58,
        APPEND = 0x61, BUILD = 0x62, GLOBAL = 0x63, DICT = 0x64, EMPTY_DICT = 0x7D, APPENDS = 0x65, GET = 0x67,
        BINGET = 0x68, INST = 0x69, LONG_BINGET = 0x6A, LIST = 0x6C, EMPTY_LIST = 0x5D, OBJ = 0x6F, PUT = 0x70,
        BINPUT = 0x71, LONG_BINPUT = 0x72, SETITEM = 0x73, TUPLE = 0x74, EMPTY_TUPLE = 0x29, SETITEMS = 0x75,
        BINFLOAT = 0x47,
        PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85, TUPLE2 = 0x86,
        TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8A, LONG4 = 0x8B,
        BINBYTES = 0x42, SHORT_BINBYTES = 0x43,
        SHORT_BINUNICODE = 0x8C, BINUNICODE8 = 0x8D, BINBYTES8 = 0x8E, EMPTY_SET = 0x8F, ADDITEMS = 0x90,
        FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
        BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98;

    private readonly List<byte> _bytes = [];

    /// <summary>Current length, i.e. the offset the next opcode will have.</summary>
    public int Position => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];

    // ---- raw ---------------------------------------------------------------------------------------------------

    public PickleBuilder Op(byte opcode) { _bytes.Add(opcode); return this; }
    public PickleBuilder Raw(params byte[] bytes) { _bytes.AddRange(bytes); return this; }
    public PickleBuilder Raw(ReadOnlySpan<byte> bytes) { foreach (var b in bytes) _bytes.Add(b); return this; }
    public PickleBuilder Ascii(string text) => Raw(Encoding.Latin1.GetBytes(text));
    private PickleBuilder Line(byte opcode, string text) => Op(opcode).Ascii(text + "\n");
    private PickleBuilder U16(int v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); return Raw(b); }
    private PickleBuilder I32(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); return Raw(b); }
    private PickleBuilder U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return Raw(b); }
    private PickleBuilder U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); return Raw(b); }

    // ---- framing -----------------------------------------------------------------------------------------------

    public PickleBuilder Proto(int version = 2) => Op(PROTO).Raw((byte)version);
    public PickleBuilder Stop() => Op(STOP);
    /// <summary>FRAME with an explicit length (may lie).</summary>
    public PickleBuilder Frame(ulong length) => Op(FRAME).U64(length);
    /// <summary>FRAME whose length is exactly the bytes of <paramref name="body"/>, followed by those bytes.</summary>
    public PickleBuilder Framed(PickleBuilder body) { var b = body.ToArray(); return Frame((ulong)b.Length).Raw(b); }

    // ---- stack ------------------------------------------------------------------------------------------------

    public PickleBuilder Mark() => Op(MARK);
    public PickleBuilder Pop() => Op(POP);
    public PickleBuilder PopMark() => Op(POP_MARK);
    public PickleBuilder Dup() => Op(DUP);

    // ---- scalars ----------------------------------------------------------------------------------------------

    public PickleBuilder None() => Op(NONE);
    public PickleBuilder True() => Op(NEWTRUE);
    public PickleBuilder False() => Op(NEWFALSE);
    public PickleBuilder BinInt(int v) => Op(BININT).I32(v);
    public PickleBuilder BinInt1(byte v) => Op(BININT1).Raw(v);
    public PickleBuilder BinInt2(ushort v) => Op(BININT2).U16(v);
    /// <summary>Protocol-0 INT with its decimal text as given (e.g. <c>"01"</c> for True).</summary>
    public PickleBuilder IntText(string text) => Line(INT, text);
    /// <summary>Protocol-0 LONG with its text as given (e.g. <c>"123L"</c>).</summary>
    public PickleBuilder LongText(string text) => Line(LONG, text);
    public PickleBuilder Long1(BigInteger v) { var b = v.ToByteArray(); return Op(LONG1).Raw((byte)b.Length).Raw(b); }
    /// <summary>LONG1 with exactly the given little-endian two's complement bytes.</summary>
    public PickleBuilder Long1Bytes(params byte[] littleEndian) => Op(LONG1).Raw((byte)littleEndian.Length).Raw(littleEndian);
    public PickleBuilder Long4(BigInteger v) { var b = v.ToByteArray(); return Op(LONG4).I32(b.Length).Raw(b); }
    public PickleBuilder BinFloat(double v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteDoubleBigEndian(b, v); return Op(BINFLOAT).Raw(b); }
    public PickleBuilder FloatText(string text) => Line(FLOAT, text);

    // ---- text and bytes ---------------------------------------------------------------------------------------

    /// <summary>BINUNICODE (what protocol 2 writes for every str).</summary>
    public PickleBuilder Str(string s) => BinUnicode(s);
    public PickleBuilder BinUnicode(string s) { var b = Encoding.UTF8.GetBytes(s); return Op(BINUNICODE).U32((uint)b.Length).Raw(b); }
    public PickleBuilder ShortBinUnicode(string s) { var b = Encoding.UTF8.GetBytes(s); return Op(SHORT_BINUNICODE).Raw((byte)b.Length).Raw(b); }
    public PickleBuilder BinUnicode8(string s) { var b = Encoding.UTF8.GetBytes(s); return Op(BINUNICODE8).U64((ulong)b.Length).Raw(b); }
    /// <summary>Protocol-0 UNICODE; <paramref name="rawUnicodeEscaped"/> is written byte for byte (Latin-1).</summary>
    public PickleBuilder UnicodeText(string rawUnicodeEscaped) => Line(UNICODE, rawUnicodeEscaped);
    /// <summary>Protocol-0 STRING; <paramref name="quotedRepr"/> includes the quotes, e.g. <c>'a\n'</c>.</summary>
    public PickleBuilder StringText(string quotedRepr) => Line(STRING, quotedRepr);
    public PickleBuilder BinString(byte[] b) => Op(BINSTRING).I32(b.Length).Raw(b);
    public PickleBuilder ShortBinString(byte[] b) => Op(SHORT_BINSTRING).Raw((byte)b.Length).Raw(b);
    public PickleBuilder BinBytes(byte[] b) => Op(BINBYTES).U32((uint)b.Length).Raw(b);
    public PickleBuilder ShortBinBytes(byte[] b) => Op(SHORT_BINBYTES).Raw((byte)b.Length).Raw(b);
    public PickleBuilder BinBytes8(byte[] b) => Op(BINBYTES8).U64((ulong)b.Length).Raw(b);
    /// <summary>BINBYTES8 claiming <paramref name="claimed"/> bytes, without the bytes.</summary>
    public PickleBuilder BinBytes8Header(ulong claimed) => Op(BINBYTES8).U64(claimed);
    public PickleBuilder ByteArray8(byte[] b) => Op(BYTEARRAY8).U64((ulong)b.Length).Raw(b);

    // ---- containers -------------------------------------------------------------------------------------------

    public PickleBuilder EmptyTuple() => Op(EMPTY_TUPLE);
    public PickleBuilder Tuple() => Op(TUPLE);
    public PickleBuilder Tuple1() => Op(TUPLE1);
    public PickleBuilder Tuple2() => Op(TUPLE2);
    public PickleBuilder Tuple3() => Op(TUPLE3);
    public PickleBuilder EmptyList() => Op(EMPTY_LIST);
    public PickleBuilder List() => Op(LIST);
    public PickleBuilder Append() => Op(APPEND);
    public PickleBuilder Appends() => Op(APPENDS);
    public PickleBuilder EmptyDict() => Op(EMPTY_DICT);
    public PickleBuilder Dict() => Op(DICT);
    public PickleBuilder SetItem() => Op(SETITEM);
    public PickleBuilder SetItems() => Op(SETITEMS);
    public PickleBuilder EmptySet() => Op(EMPTY_SET);
    public PickleBuilder AddItems() => Op(ADDITEMS);
    public PickleBuilder FrozenSet() => Op(FROZENSET);

    /// <summary>A tuple of ints as torch writes sizes and strides: EMPTY_TUPLE, TUPLE1..3, or MARK ... TUPLE.</summary>
    public PickleBuilder IntTuple(params long[] values)
    {
        if (values.Length == 0) return EmptyTuple();
        if (values.Length > 3) Mark();
        foreach (var v in values) Int(v);
        return values.Length switch { 1 => Tuple1(), 2 => Tuple2(), 3 => Tuple3(), _ => Tuple() };
    }

    /// <summary>The smallest binary int opcode for <paramref name="v"/>, as Python's pickler picks it.</summary>
    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and <= 0xFF) return BinInt1((byte)v);
        if (v is >= 0 and <= 0xFFFF) return BinInt2((ushort)v);
        if (v is >= int.MinValue and <= int.MaxValue) return BinInt((int)v);
        return Long1(v);
    }

    // ---- memo -------------------------------------------------------------------------------------------------

    public PickleBuilder Put(int index) => Line(PUT, index.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public PickleBuilder Get(int index) => Line(GET, index.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public PickleBuilder BinPut(byte index) => Op(BINPUT).Raw(index);
    public PickleBuilder BinGet(byte index) => Op(BINGET).Raw(index);
    public PickleBuilder LongBinPut(uint index) => Op(LONG_BINPUT).U32(index);
    public PickleBuilder LongBinGet(uint index) => Op(LONG_BINGET).U32(index);
    public PickleBuilder Memoize() => Op(MEMOIZE);

    // ---- objects ----------------------------------------------------------------------------------------------

    public PickleBuilder Global(string module, string name) => Op(GLOBAL).Ascii(module + "\n" + name + "\n");
    public PickleBuilder StackGlobal() => Op(STACK_GLOBAL);
    public PickleBuilder Inst(string module, string name) => Op(INST).Ascii(module + "\n" + name + "\n");
    public PickleBuilder Obj() => Op(OBJ);
    public PickleBuilder Reduce() => Op(REDUCE);
    public PickleBuilder NewObj() => Op(NEWOBJ);
    public PickleBuilder NewObjEx() => Op(NEWOBJ_EX);
    public PickleBuilder Build() => Op(BUILD);
    public PickleBuilder PersIdText(string id) => Line(PERSID, id);
    public PickleBuilder BinPersId() => Op(BINPERSID);
    public PickleBuilder Ext1(byte code) => Op(EXT1).Raw(code);
    public PickleBuilder Ext2(ushort code) => Op(EXT2).U16(code);
    public PickleBuilder Ext4(int code) => Op(EXT4).I32(code);
    public PickleBuilder NextBuffer() => Op(NEXT_BUFFER);
    public PickleBuilder ReadOnlyBuffer() => Op(READONLY_BUFFER);

    // ---- torch shapes -----------------------------------------------------------------------------------------

    /// <summary><c>collections.OrderedDict()</c> as torch writes it: GLOBAL, EMPTY_TUPLE, REDUCE.</summary>
    public PickleBuilder OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>
    /// The zip-format persistent id <c>('storage', torch.&lt;storageClass&gt;, key, location, numel)</c> followed by
    /// BINPERSID.
    /// </summary>
    public PickleBuilder StoragePid(string storageClass, string key, long numel, string location = "cpu") =>
        Mark().Str("storage").Global("torch", storageClass).Str(key).Str(location).Int(numel).Tuple().BinPersId();

    /// <summary>
    /// <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c> with the storage
    /// emitted by <paramref name="storage"/>.
    /// </summary>
    public PickleBuilder Tensor(Action<PickleBuilder> storage, long offset, long[] size, long[] stride, bool requiresGrad = false)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        storage(this);
        Int(offset).IntTuple(size).IntTuple(stride);
        if (requiresGrad) True(); else False();
        return OrderedDict().Tuple().Reduce();
    }

    /// <summary>A v2 tensor over a fresh typed storage pid.</summary>
    public PickleBuilder Tensor(string storageClass, string key, long storageNumel, long offset, long[] size, long[] stride) =>
        Tensor(p => p.StoragePid(storageClass, key, storageNumel), offset, size, stride);

    /// <summary>
    /// <c>torch._utils._rebuild_tensor_v3(UntypedStorage pid, offset, size, stride, False, OrderedDict(), torch.&lt;dtype&gt;)</c>.
    /// </summary>
    public PickleBuilder TensorV3(string dtype, string key, long storageBytes, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v3").Mark();
        StoragePid("UntypedStorage", key, storageBytes);
        Int(offset).IntTuple(size).IntTuple(stride).False().OrderedDict().Global("torch", dtype);
        return Tuple().Reduce();
    }

    /// <summary>Contiguous strides of a shape.</summary>
    public static long[] Contiguous(params long[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { s[d] = acc; acc *= Math.Max(shape[d], 1); }
        return s;
    }

    /// <summary>A new builder that starts with PROTO <paramref name="protocol"/>.</summary>
    public static PickleBuilder Start(int protocol = 2) => new PickleBuilder().Proto(protocol);
}
