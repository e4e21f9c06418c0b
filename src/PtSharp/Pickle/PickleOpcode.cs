namespace PtSharp.Pickle;

/// <summary>Pickle opcodes of protocols 0–5 (CPython <c>Lib/pickle.py</c>); each doc gives CPython's name.</summary>
public enum PickleOpcode : byte
{
    /// <summary>MARK: push the mark (protocol 0).</summary>
    Mark = 0x28,
    /// <summary>STOP: end of pickle.</summary>
    Stop = 0x2E,
    /// <summary>POP: discard the top of stack.</summary>
    Pop = 0x30,
    /// <summary>POP_MARK: discard everything down to the topmost mark.</summary>
    PopMark = 0x31,
    /// <summary>DUP: duplicate the top of stack.</summary>
    Dup = 0x32,
    /// <summary>FLOAT: decimal float terminated by newline.</summary>
    Float = 0x46,
    /// <summary>INT: decimal int terminated by newline (<c>I01</c>/<c>I00</c> are True/False).</summary>
    Int = 0x49,
    /// <summary>BININT: 4-byte signed int.</summary>
    BinInt = 0x4A,
    /// <summary>BININT1: 1-byte unsigned int.</summary>
    BinInt1 = 0x4B,
    /// <summary>LONG: decimal long terminated by newline.</summary>
    Long = 0x4C,
    /// <summary>BININT2: 2-byte unsigned int.</summary>
    BinInt2 = 0x4D,
    /// <summary>NONE: push None.</summary>
    None = 0x4E,
    /// <summary>PERSID: persistent id as a newline-terminated string.</summary>
    PersId = 0x50,
    /// <summary>BINPERSID: persistent id from the stack.</summary>
    BinPersId = 0x51,
    /// <summary>REDUCE: call callable with an argument tuple.</summary>
    Reduce = 0x52,
    /// <summary>STRING: quoted, escaped 8-bit string.</summary>
    String = 0x53,
    /// <summary>BINSTRING: 8-bit string with 4-byte length.</summary>
    BinString = 0x54,
    /// <summary>SHORT_BINSTRING: 8-bit string with 1-byte length.</summary>
    ShortBinString = 0x55,
    /// <summary>UNICODE: raw-unicode-escaped string terminated by newline.</summary>
    Unicode = 0x56,
    /// <summary>BINUNICODE: UTF-8 string with 4-byte length.</summary>
    BinUnicode = 0x58,
    /// <summary>APPEND: append to a list.</summary>
    Append = 0x61,
    /// <summary>BUILD: set an object's state.</summary>
    Build = 0x62,
    /// <summary>GLOBAL: push module.name given as two newline-terminated strings.</summary>
    Global = 0x63,
    /// <summary>DICT: build a dict from the items above the mark.</summary>
    Dict = 0x64,
    /// <summary>APPENDS: append the items above the mark.</summary>
    Appends = 0x65,
    /// <summary>GET: push a memo entry (decimal index).</summary>
    Get = 0x67,
    /// <summary>BINGET: push a memo entry (1-byte index).</summary>
    BinGet = 0x68,
    /// <summary>INST: build a class instance (protocol 0).</summary>
    Inst = 0x69,
    /// <summary>LONG_BINGET: push a memo entry (4-byte index).</summary>
    LongBinGet = 0x6A,
    /// <summary>LIST: build a list from the items above the mark.</summary>
    List = 0x6C,
    /// <summary>OBJ: build a class instance (protocol 1).</summary>
    Obj = 0x6F,
    /// <summary>PUT: store the top of stack in the memo (decimal index).</summary>
    Put = 0x70,
    /// <summary>BINPUT: store the top of stack in the memo (1-byte index).</summary>
    BinPut = 0x71,
    /// <summary>LONG_BINPUT: store the top of stack in the memo (4-byte index).</summary>
    LongBinPut = 0x72,
    /// <summary>SETITEM: add a key/value pair to a dict.</summary>
    SetItem = 0x73,
    /// <summary>TUPLE: build a tuple from the items above the mark.</summary>
    Tuple = 0x74,
    /// <summary>SETITEMS: add the key/value pairs above the mark to a dict.</summary>
    SetItems = 0x75,
    /// <summary>EMPTY_DICT.</summary>
    EmptyDict = 0x7D,
    /// <summary>EMPTY_LIST.</summary>
    EmptyList = 0x5D,
    /// <summary>EMPTY_TUPLE.</summary>
    EmptyTuple = 0x29,
    /// <summary>BINFLOAT: 8-byte big-endian double.</summary>
    BinFloat = 0x47,
    /// <summary>PROTO: protocol version (protocol 2).</summary>
    Proto = 0x80,
    /// <summary>NEWOBJ: <c>cls.__new__(cls, *args)</c>.</summary>
    NewObj = 0x81,
    /// <summary>EXT1: extension registry code, 1 byte.</summary>
    Ext1 = 0x82,
    /// <summary>EXT2: extension registry code, 2 bytes.</summary>
    Ext2 = 0x83,
    /// <summary>EXT4: extension registry code, 4 bytes.</summary>
    Ext4 = 0x84,
    /// <summary>TUPLE1.</summary>
    Tuple1 = 0x85,
    /// <summary>TUPLE2.</summary>
    Tuple2 = 0x86,
    /// <summary>TUPLE3.</summary>
    Tuple3 = 0x87,
    /// <summary>NEWTRUE.</summary>
    NewTrue = 0x88,
    /// <summary>NEWFALSE.</summary>
    NewFalse = 0x89,
    /// <summary>LONG1: little-endian two's complement int, 1-byte length.</summary>
    Long1 = 0x8A,
    /// <summary>LONG4: little-endian two's complement int, 4-byte length.</summary>
    Long4 = 0x8B,
    /// <summary>BINBYTES: bytes with 4-byte length (protocol 3).</summary>
    BinBytes = 0x42,
    /// <summary>SHORT_BINBYTES: bytes with 1-byte length (protocol 3).</summary>
    ShortBinBytes = 0x43,
    /// <summary>SHORT_BINUNICODE: UTF-8 string with 1-byte length (protocol 4).</summary>
    ShortBinUnicode = 0x8C,
    /// <summary>BINUNICODE8: UTF-8 string with 8-byte length (protocol 4).</summary>
    BinUnicode8 = 0x8D,
    /// <summary>BINBYTES8: bytes with 8-byte length (protocol 4).</summary>
    BinBytes8 = 0x8E,
    /// <summary>EMPTY_SET (protocol 4).</summary>
    EmptySet = 0x8F,
    /// <summary>ADDITEMS: add the items above the mark to a set (protocol 4).</summary>
    AddItems = 0x90,
    /// <summary>FROZENSET: build a frozenset from the items above the mark (protocol 4).</summary>
    FrozenSet = 0x91,
    /// <summary>NEWOBJ_EX: <c>cls.__new__(cls, *args, **kwargs)</c> (protocol 4).</summary>
    NewObjEx = 0x92,
    /// <summary>STACK_GLOBAL: module and name from the stack (protocol 4).</summary>
    StackGlobal = 0x93,
    /// <summary>MEMOIZE: store the top of stack at the next memo index (protocol 4).</summary>
    Memoize = 0x94,
    /// <summary>FRAME: 8-byte frame length (protocol 4).</summary>
    Frame = 0x95,
    /// <summary>BYTEARRAY8: bytearray with 8-byte length (protocol 5).</summary>
    ByteArray8 = 0x96,
    /// <summary>NEXT_BUFFER: next out-of-band buffer (protocol 5).</summary>
    NextBuffer = 0x97,
    /// <summary>READONLY_BUFFER: make the top of stack read-only (protocol 5).</summary>
    ReadOnlyBuffer = 0x98,
}
