namespace PtSharp.Pickle;

/// <summary>The shape of an opcode's inline argument (CPython <c>pickletools</c> argument descriptors).</summary>
internal enum PickleArgument : byte
{
    /// <summary>Not an opcode of protocols 0–5.</summary>
    Invalid,
    /// <summary>No inline argument.</summary>
    None,
    /// <summary>One unsigned byte.</summary>
    UInt8,
    /// <summary>Two-byte little-endian unsigned integer.</summary>
    UInt16,
    /// <summary>Four-byte little-endian signed integer.</summary>
    Int32,
    /// <summary>Four-byte little-endian unsigned integer.</summary>
    UInt32,
    /// <summary>Eight-byte big-endian double (its bits are kept as an integer).</summary>
    Float64,
    /// <summary>Bytes counted by a one-byte length.</summary>
    Counted8,
    /// <summary>Bytes counted by a four-byte signed length.</summary>
    Counted32Signed,
    /// <summary>Bytes counted by a four-byte unsigned length.</summary>
    Counted32,
    /// <summary>Bytes counted by an eight-byte length.</summary>
    Counted64,
    /// <summary>FRAME's eight-byte frame length.</summary>
    Frame,
    /// <summary>One text line, without its newline.</summary>
    Line,
    /// <summary>Two text lines (GLOBAL, INST): module, then name.</summary>
    TwoLines,
}

/// <summary>
/// The one table of pickle opcodes: CPython's name and the argument shape of every opcode of protocols 0–5,
/// read by <see cref="PickleReader"/> (and so by the pickle machine, the memo pre-pass and the scanner).
/// </summary>
internal static class PickleOpcodeTable
{
    private static readonly (PickleOpcode Op, string Name, PickleArgument Arg)[] Rows =
    [
        (PickleOpcode.Mark, "MARK", PickleArgument.None),
        (PickleOpcode.Stop, "STOP", PickleArgument.None),
        (PickleOpcode.Pop, "POP", PickleArgument.None),
        (PickleOpcode.PopMark, "POP_MARK", PickleArgument.None),
        (PickleOpcode.Dup, "DUP", PickleArgument.None),
        (PickleOpcode.Float, "FLOAT", PickleArgument.Line),
        (PickleOpcode.Int, "INT", PickleArgument.Line),
        (PickleOpcode.BinInt, "BININT", PickleArgument.Int32),
        (PickleOpcode.BinInt1, "BININT1", PickleArgument.UInt8),
        (PickleOpcode.Long, "LONG", PickleArgument.Line),
        (PickleOpcode.BinInt2, "BININT2", PickleArgument.UInt16),
        (PickleOpcode.None, "NONE", PickleArgument.None),
        (PickleOpcode.PersId, "PERSID", PickleArgument.Line),
        (PickleOpcode.BinPersId, "BINPERSID", PickleArgument.None),
        (PickleOpcode.Reduce, "REDUCE", PickleArgument.None),
        (PickleOpcode.String, "STRING", PickleArgument.Line),
        (PickleOpcode.BinString, "BINSTRING", PickleArgument.Counted32Signed),
        (PickleOpcode.ShortBinString, "SHORT_BINSTRING", PickleArgument.Counted8),
        (PickleOpcode.Unicode, "UNICODE", PickleArgument.Line),
        (PickleOpcode.BinUnicode, "BINUNICODE", PickleArgument.Counted32),
        (PickleOpcode.Append, "APPEND", PickleArgument.None),
        (PickleOpcode.Build, "BUILD", PickleArgument.None),
        (PickleOpcode.Global, "GLOBAL", PickleArgument.TwoLines),
        (PickleOpcode.Dict, "DICT", PickleArgument.None),
        (PickleOpcode.EmptyDict, "EMPTY_DICT", PickleArgument.None),
        (PickleOpcode.Appends, "APPENDS", PickleArgument.None),
        (PickleOpcode.Get, "GET", PickleArgument.Line),
        (PickleOpcode.BinGet, "BINGET", PickleArgument.UInt8),
        (PickleOpcode.Inst, "INST", PickleArgument.TwoLines),
        (PickleOpcode.LongBinGet, "LONG_BINGET", PickleArgument.UInt32),
        (PickleOpcode.List, "LIST", PickleArgument.None),
        (PickleOpcode.EmptyList, "EMPTY_LIST", PickleArgument.None),
        (PickleOpcode.Obj, "OBJ", PickleArgument.None),
        (PickleOpcode.Put, "PUT", PickleArgument.Line),
        (PickleOpcode.BinPut, "BINPUT", PickleArgument.UInt8),
        (PickleOpcode.LongBinPut, "LONG_BINPUT", PickleArgument.UInt32),
        (PickleOpcode.SetItem, "SETITEM", PickleArgument.None),
        (PickleOpcode.Tuple, "TUPLE", PickleArgument.None),
        (PickleOpcode.EmptyTuple, "EMPTY_TUPLE", PickleArgument.None),
        (PickleOpcode.SetItems, "SETITEMS", PickleArgument.None),
        (PickleOpcode.BinFloat, "BINFLOAT", PickleArgument.Float64),
        (PickleOpcode.Proto, "PROTO", PickleArgument.UInt8),
        (PickleOpcode.NewObj, "NEWOBJ", PickleArgument.None),
        (PickleOpcode.Ext1, "EXT1", PickleArgument.UInt8),
        (PickleOpcode.Ext2, "EXT2", PickleArgument.UInt16),
        (PickleOpcode.Ext4, "EXT4", PickleArgument.Int32),
        (PickleOpcode.Tuple1, "TUPLE1", PickleArgument.None),
        (PickleOpcode.Tuple2, "TUPLE2", PickleArgument.None),
        (PickleOpcode.Tuple3, "TUPLE3", PickleArgument.None),
        (PickleOpcode.NewTrue, "NEWTRUE", PickleArgument.None),
        (PickleOpcode.NewFalse, "NEWFALSE", PickleArgument.None),
        (PickleOpcode.Long1, "LONG1", PickleArgument.Counted8),
        (PickleOpcode.Long4, "LONG4", PickleArgument.Counted32Signed),
        (PickleOpcode.BinBytes, "BINBYTES", PickleArgument.Counted32),
        (PickleOpcode.ShortBinBytes, "SHORT_BINBYTES", PickleArgument.Counted8),
        (PickleOpcode.ShortBinUnicode, "SHORT_BINUNICODE", PickleArgument.Counted8),
        (PickleOpcode.BinUnicode8, "BINUNICODE8", PickleArgument.Counted64),
        (PickleOpcode.BinBytes8, "BINBYTES8", PickleArgument.Counted64),
        (PickleOpcode.EmptySet, "EMPTY_SET", PickleArgument.None),
        (PickleOpcode.AddItems, "ADDITEMS", PickleArgument.None),
        (PickleOpcode.FrozenSet, "FROZENSET", PickleArgument.None),
        (PickleOpcode.NewObjEx, "NEWOBJ_EX", PickleArgument.None),
        (PickleOpcode.StackGlobal, "STACK_GLOBAL", PickleArgument.None),
        (PickleOpcode.Memoize, "MEMOIZE", PickleArgument.None),
        (PickleOpcode.Frame, "FRAME", PickleArgument.Frame),
        (PickleOpcode.ByteArray8, "BYTEARRAY8", PickleArgument.Counted64),
        (PickleOpcode.NextBuffer, "NEXT_BUFFER", PickleArgument.None),
        (PickleOpcode.ReadOnlyBuffer, "READONLY_BUFFER", PickleArgument.None),
    ];

    private static readonly PickleArgument[] Arguments = new PickleArgument[256];
    private static readonly string[] Names = new string[256];

    static PickleOpcodeTable()
    {
        for (int b = 0; b < 256; b++) Names[b] = $"0x{b:X2}";
        foreach (var (op, name, arg) in Rows)
        {
            Arguments[(byte)op] = arg;
            Names[(byte)op] = name;
        }
    }

    /// <summary>The number of opcodes in the table (68 for protocols 0–5).</summary>
    public static int Count => Rows.Length;

    /// <summary>
    /// The argument shape of <paramref name="op"/> (<see cref="PickleArgument.Invalid"/> for other bytes).
    /// </summary>
    public static PickleArgument ArgumentOf(byte op) => Arguments[op];

    /// <summary>CPython's name of an opcode, for messages (<c>0xNN</c> for a byte that is not one).</summary>
    public static string Name(PickleOpcode op) => Names[(byte)op];

    /// <summary>True when <paramref name="op"/> is a valid opcode of protocols 0–5.</summary>
    public static bool IsOpcode(byte op) => Arguments[op] != PickleArgument.Invalid;
}
