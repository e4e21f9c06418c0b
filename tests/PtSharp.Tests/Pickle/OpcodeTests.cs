using System.Numerics;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

using P = PtSharp.Tests.Support.PickleBuilder;

namespace PtSharp.Tests.Pickle;

/// <summary>
/// One test per pickle opcode family. Each pickle is written byte by byte with <see cref="PickleBuilder"/>, stored as
/// <c>archive/data.pkl</c> of a torch-style zip, loaded through the public API, and the value PtSharp built is
/// compared with what CPython's unpickler would build. The comments quote the one-line opcode descriptions of
/// CPython's Lib/pickle.py.
/// </summary>
public sealed class OpcodeTests
{
    // ---- helpers ------------------------------------------------------------------------------------------------

    private static PtFile Load(P pickle, params byte[][] records) => PtFile.Load(ZipBuilder.MakePt(pickle.Stop().ToArray(), records));

    private static object? Root(P pickle)
    {
        using var f = Load(pickle);
        return f.Root;
    }

    /// <summary>Runs <c>PROTO 2, EMPTY_LIST, MARK, body, APPENDS, STOP</c> and returns the list items.</summary>
    private static PyList Values(Action<P> body, int protocol = 2)
    {
        var p = P.Start(protocol).EmptyList().Mark();
        body(p);
        return Assert.IsType<PyList>(Root(p.Appends()));
    }

    private static PtFormatException Fails(P pickle, params byte[][] records) =>
        Assert.Throws<PtFormatException>(() => Load(pickle, records));

    // ---- integers -----------------------------------------------------------------------------------------------

    [Fact]
    public void Binary_ints_BININT_BININT1_BININT2()
    {
        // BININT  = b'J'  # push four-byte signed int
        // BININT1 = b'K'  # push 1-byte unsigned int
        // BININT2 = b'M'  # push 2-byte unsigned int
        var v = Values(p => p.BinInt(-1).BinInt(int.MinValue).BinInt(int.MaxValue).BinInt1(255).BinInt1(0).BinInt2(65535).BinInt2(256));
        Assert.Equal(new object[] { -1L, (long)int.MinValue, (long)int.MaxValue, 255L, 0L, 65535L, 256L }, v.ToArray());
    }

    [Fact]
    public void LONG1_and_LONG4_are_twos_complement_little_endian_and_big_values_become_BigInteger()
    {
        // LONG1 = b'\x8a'  # push long from < 256 bytes
        // LONG4 = b'\x8b'  # push really big long
        var twoTo64 = BigInteger.One << 64;
        var v = Values(p => p
            .Long1Bytes()                                             // 0 bytes -> 0
            .Long1Bytes(0xFF)                                         // -1
            .Long1Bytes(0x00, 0x80)                                   // -32768
            .Long1Bytes(0xFF, 0x7F)                                   // 32767
            .Long1Bytes(0, 0, 0, 0, 0, 0, 0, 0x80)                    // long.MinValue
            .Long1Bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F) // long.MaxValue
            .Long1Bytes(0, 0, 0, 0, 0, 0, 0, 0x80, 0x00)              // 2**63, the first value Python writes in 9 bytes
            .Long1Bytes(0, 0, 0, 0, 0, 0, 0, 0, 0x01)                 // 2**64
            .Long4(-(BigInteger.One << 100)));
        Assert.Equal(0L, v[0]);
        Assert.Equal(-1L, v[1]);
        Assert.Equal(-32768L, v[2]);
        Assert.Equal(32767L, v[3]);
        Assert.Equal(long.MinValue, v[4]);
        Assert.Equal(long.MaxValue, v[5]);
        Assert.Equal(BigInteger.One << 63, Assert.IsType<BigInteger>(v[6]));
        Assert.Equal(twoTo64, Assert.IsType<BigInteger>(v[7]));
        Assert.Equal(-(BigInteger.One << 100), Assert.IsType<BigInteger>(v[8]));
    }

    [Fact]
    public void Long_integers_that_fit_64_bits_are_returned_as_long()
    {
        // PtSharp's contract: ints are long unless they do not fit. Non-minimal encodings (LONG4 of a small value,
        // a 9-byte LONG1 of a value inside the int64 range) must still give long.
        var v = Values(p => p.Long4(5).Long1Bytes(0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF).Long1Bytes(1, 0, 0, 0, 0, 0, 0, 0, 0));
        Assert.IsType<long>(v[0]);
        Assert.Equal(5L, v[0]);
        Assert.Equal(long.MinValue, Assert.IsType<long>(v[1]));
        Assert.Equal(1L, Assert.IsType<long>(v[2]));
    }

    [Fact]
    public void Text_INT_parses_decimal_and_I01_I00_are_booleans()
    {
        // INT = b'I'  # push integer or bool; decimal string argument
        // TRUE = b'I01\n' / FALSE = b'I00\n'  # not an opcode; see INT docs in pickletools.py
        var v = Values(p => p.IntText("42").IntText("-7").IntText("01").IntText("00").IntText("0").IntText("123456789012345678901234567890"), protocol: 0);
        Assert.Equal(42L, v[0]);
        Assert.Equal(-7L, v[1]);
        Assert.Equal(true, v[2]);
        Assert.Equal(false, v[3]);
        Assert.Equal(0L, v[4]);
        Assert.Equal(BigInteger.Parse("123456789012345678901234567890"), Assert.IsType<BigInteger>(v[5]));
    }

    [Fact]
    public void Text_LONG_accepts_trailing_L()
    {
        // LONG = b'L'  # push long; decimal string argument
        var v = Values(p => p.LongText("123L").LongText("-99999999999999999999L").LongText("5"), protocol: 0);
        Assert.Equal(123L, v[0]);
        Assert.Equal(BigInteger.Parse("-99999999999999999999"), Assert.IsType<BigInteger>(v[1]));
        Assert.Equal(5L, v[2]);
    }

    // ---- floats -------------------------------------------------------------------------------------------------

    [Fact]
    public void BINFLOAT_is_a_big_endian_double()
    {
        // BINFLOAT = b'G'  # push float; arg is 8-byte float encoding
        var v = Values(p => p.BinFloat(1.5).BinFloat(-0.0).BinFloat(double.Epsilon).BinFloat(double.NegativeInfinity));
        Assert.Equal(1.5, v[0]);
        Assert.True(double.IsNegative(Assert.IsType<double>(v[1])) && (double)v[1]! == 0);
        Assert.Equal(double.Epsilon, v[2]);
        Assert.Equal(double.NegativeInfinity, v[3]);
        // the bytes really are big-endian: 1.5 = 3F F8 00 ...
        Assert.Equal(new byte[] { 0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0 }, new P().BinFloat(1.5).ToArray());
    }

    [Fact]
    public void Text_FLOAT_parses_repr_including_inf_and_nan()
    {
        // FLOAT = b'F'  # push float object; decimal string argument
        var v = Values(p => p.FloatText("3.25").FloatText("-1e300").FloatText("inf").FloatText("-inf").FloatText("nan").FloatText("1"), protocol: 0);
        Assert.Equal(3.25, v[0]);
        Assert.Equal(-1e300, v[1]);
        Assert.Equal(double.PositiveInfinity, v[2]);
        Assert.Equal(double.NegativeInfinity, v[3]);
        Assert.True(double.IsNaN(Assert.IsType<double>(v[4])));
        Assert.Equal(1.0, Assert.IsType<double>(v[5]));
    }

    // ---- strings ------------------------------------------------------------------------------------------------

    [Fact]
    public void Counted_unicode_strings_are_UTF8()
    {
        // BINUNICODE       = b'X'     #   "     "       "  ; counted UTF-8 string argument
        // SHORT_BINUNICODE = b'\x8c'  # push short string; UTF-8 length < 256 bytes
        // BINUNICODE8      = b'\x8d'  # push very long string
        var v = Values(p => p.BinUnicode("héllo €").ShortBinUnicode("κλειδί").BinUnicode8("😀 eight").BinUnicode(""), protocol: 4);
        Assert.Equal(new object[] { "héllo €", "κλειδί", "😀 eight", "" }, v.ToArray());
    }

    [Fact]
    public void UNICODE_is_raw_unicode_escape()
    {
        // UNICODE = b'V'  # push Unicode string; raw-unicode-escaped'd argument
        // Python 3 protocol 0 writes "a\\b\nc" as  a\u005cb\u000ac ; other bytes are Latin-1.
        var v = Values(p => p.UnicodeText(@"a\u005cb\u000ac").UnicodeText("caf\xE9 \\U0001F600").UnicodeText(@"\x41 stays"), protocol: 0);
        Assert.Equal("a\\b\nc", v[0]);
        Assert.Equal("café 😀", v[1]);
        Assert.Equal(@"\x41 stays", v[2]); // raw-unicode-escape knows only \u and \U
    }

    [Fact]
    public void UNICODE_escapes_beyond_U_10FFFF_or_malformed_stay_as_written()
    {
        // \UFFFFFFFF once overflowed the code point and escaped as ArgumentOutOfRangeException (CPython refuses the
        // escape; PtSharp keeps it as text, as it does every escape raw-unicode-escape cannot apply).
        var v = Values(p => p.UnicodeText(@"\UFFFFFFFF").UnicodeText(@"\U00110000").UnicodeText(@"\u12").UnicodeText(@"\uZZZZ!").UnicodeText(@"\ud800"), protocol: 0);
        Assert.Equal(@"\UFFFFFFFF", v[0]);
        Assert.Equal(@"\U00110000", v[1]);
        Assert.Equal(@"\u12", v[2]);
        Assert.Equal(@"\uZZZZ!", v[3]);
        Assert.Equal("\ud800", v[4]); // a lone surrogate, as Python keeps it
    }

    [Fact]
    public void STRING_decodes_python_escapes_in_either_quote()
    {
        // STRING = b'S'  # push string; NL-terminated string argument
        var v = Values(p => p.StringText(@"'a\nb\x41\101\'q'").StringText("\"dq\\\\\"").StringText(@"'\t\r\0'"), protocol: 0);
        Assert.Equal("a\nbAA'q", v[0]);
        Assert.Equal("dq\\", v[1]);
        Assert.Equal("\t\r\0", v[2]);
    }

    [Fact]
    public void BINSTRING_and_SHORT_BINSTRING_decode_as_UTF8_else_Latin1()
    {
        // BINSTRING       = b'T'  # push string; counted binary string argument
        // SHORT_BINSTRING = b'U'  #  "     "   ;    "      "       "      " < 256 bytes
        var v = Values(p => p
            .BinString([0xC3, 0xBC, 0x62])       // "üb" in UTF-8
            .ShortBinString([0xC3, 0xBC])        // "ü"
            .BinString([0xFF, 0x41])             // not UTF-8: kept as Latin-1 text
            .ShortBinString([0xE9, 0x00]));      // not UTF-8
        Assert.Equal("üb", v[0]);
        Assert.Equal("ü", v[1]);
        Assert.Equal("\u00FFA", v[2]);
        Assert.Equal("\u00E9\0", v[3]);
    }

    // ---- bytes --------------------------------------------------------------------------------------------------

    [Fact]
    public void Bytes_opcodes_and_bytearray()
    {
        // BINBYTES       = b'B'     # push bytes; counted binary string argument
        // SHORT_BINBYTES = b'C'     #  "     "   ;    "      "       "      " < 256 bytes
        // BINBYTES8      = b'\x8e'  # push very long bytes string
        // BYTEARRAY8     = b'\x96'  # push bytearray
        var v = Values(p => p.BinBytes([1, 2, 3]).ShortBinBytes([0xFF]).BinBytes8([9, 8]).ByteArray8([7, 0, 7]).ShortBinBytes([]), protocol: 5);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.IsType<byte[]>(v[0]));
        Assert.Equal(new byte[] { 0xFF }, Assert.IsType<byte[]>(v[1]));
        Assert.Equal(new byte[] { 9, 8 }, Assert.IsType<byte[]>(v[2]));
        Assert.Equal(new byte[] { 7, 0, 7 }, Assert.IsType<PyByteArray>(v[3]).Data);
        Assert.Empty(Assert.IsType<byte[]>(v[4]));
    }

    [Fact]
    public void Protocol2_bytes_via_codecs_encode_latin1()
    {
        // protocol 2 writes b'\xff\x00A' as  _codecs.encode('\xff\x00A', 'latin1')  and b'' as  __builtin__.bytes()
        var v = Values(p => p
            .Global("_codecs", "encode").BinUnicode("\u00FF\0A").BinUnicode("latin1").Tuple2().Reduce()
            .Global("__builtin__", "bytes").EmptyTuple().Reduce()
            .Global("__builtin__", "bytearray").BinUnicode("\u00E9").BinUnicode("latin-1").Tuple2().Reduce());
        Assert.Equal(new byte[] { 0xFF, 0x00, 0x41 }, Assert.IsType<byte[]>(v[0]));
        Assert.Empty(Assert.IsType<byte[]>(v[1]));
        Assert.Equal(new byte[] { 0xE9 }, Assert.IsType<PyByteArray>(v[2]).Data);
    }

    // ---- containers ---------------------------------------------------------------------------------------------

    [Fact]
    public void Lists_EMPTY_LIST_APPEND_APPENDS_LIST()
    {
        // EMPTY_LIST = b']'  # push empty list
        // APPEND     = b'a'  # append stack top to list below it
        // APPENDS    = b'e'  # extend list on stack by topmost stack slice
        // LIST       = b'l'  # build list from topmost stack items
        var root = Assert.IsType<PyTuple>(Root(P.Start()
            .EmptyList().BinInt1(1).Append().Mark().BinInt1(2).BinInt1(3).Appends().Mark().Appends()
            .Mark().Str("x").Str("y").List()
            .Mark().List()
            .Tuple3()));
        Assert.Equal(new object[] { 1L, 2L, 3L }, Assert.IsType<PyList>(root[0]).ToArray());
        Assert.Equal(new object[] { "x", "y" }, Assert.IsType<PyList>(root[1]).ToArray());
        Assert.Empty(Assert.IsType<PyList>(root[2]));
    }

    [Fact]
    public void Dicts_keep_insertion_order_and_replace_values_in_place()
    {
        // EMPTY_DICT = b'}'  # push empty dict
        // SETITEM    = b's'  # add key+value pair to dict
        // SETITEMS   = b'u'  # modify dict by adding topmost key+value pairs
        // DICT       = b'd'  # build a dict from stack items
        var root = Assert.IsType<PyTuple>(Root(P.Start()
            .EmptyDict().Str("b").BinInt1(1).SetItem()
            .Mark().Str("a").BinInt1(2).Str("b").BinInt1(3).BinInt1(7).None().SetItems()
            .Mark().Str("k").Str("v").Str("k2").True().Dict()
            .Tuple2()));
        var d = Assert.IsType<PyDict>(root[0]);
        Assert.Equal(new object?[] { "b", "a", 7L }, d.Keys.ToArray());
        Assert.Equal(3L, d["b"]);
        Assert.Equal(2L, d["a"]);
        Assert.Null(d[7L]);
        Assert.False(d.IsOrderedDict);
        Assert.Equal(3L, d["b"]);
        var d2 = Assert.IsType<PyDict>(root[1]);
        Assert.Equal(new object?[] { "k", "k2" }, d2.Keys.ToArray());
        Assert.Equal("v", d2["k"]);
        Assert.Equal(true, d2["k2"]);
    }

    [Fact]
    public void Dict_keys_use_python_equality_1_True_and_1_0_are_one_key()
    {
        // {1: 'a', True: 'b', 1.0: 'c'} == {1: 'c'} in Python: the first key object stays, the last value wins
        var d = Assert.IsType<PyDict>(Root(P.Start().EmptyDict()
            .BinInt1(1).Str("a").SetItem().True().Str("b").SetItem().BinFloat(1.0).Str("c").SetItem()
            .BinInt1(1).BinInt1(2).Tuple2().Str("t").SetItem()));
        Assert.Equal(2, d.Count);
        Assert.Equal(1L, d.Keys.First());
        Assert.Equal("c", d[1L]);
        Assert.Equal("c", d[true]);
        Assert.Equal("t", d[new PyTuple([1L, 2L])]);
    }

    [Fact]
    public void Tuples_0_to_3_and_MARK_TUPLE()
    {
        // EMPTY_TUPLE = b')'     # push empty tuple
        // TUPLE1      = b'\x85'  # build 1-tuple from stack top
        // TUPLE2      = b'\x86'  # build 2-tuple from two topmost stack items
        // TUPLE3      = b'\x87'  # build 3-tuple from three topmost stack items
        // TUPLE       = b't'     # build tuple from topmost stack items
        var v = Values(p => p
            .EmptyTuple()
            .BinInt1(1).Tuple1()
            .BinInt1(1).BinInt1(2).Tuple2()
            .BinInt1(1).BinInt1(2).BinInt1(3).Tuple3()
            .Mark().BinInt1(1).BinInt1(2).BinInt1(3).BinInt1(4).Tuple()
            .Mark().Tuple());
        Assert.Empty(Assert.IsType<PyTuple>(v[0]));
        Assert.Equal(new object[] { 1L }, Assert.IsType<PyTuple>(v[1]).Items);
        Assert.Equal(new object[] { 1L, 2L }, Assert.IsType<PyTuple>(v[2]).Items);
        Assert.Equal(new object[] { 1L, 2L, 3L }, Assert.IsType<PyTuple>(v[3]).Items);
        Assert.Equal(new object[] { 1L, 2L, 3L, 4L }, Assert.IsType<PyTuple>(v[4]).Items);
        Assert.Empty(Assert.IsType<PyTuple>(v[5]));
        Assert.Null(Assert.IsType<PyTuple>(v[1]).ClassName);
    }

    [Fact]
    public void Sets_EMPTY_SET_ADDITEMS_FROZENSET_and_builtins_set_REDUCE()
    {
        // EMPTY_SET = b'\x8f'  # push empty set on the stack
        // ADDITEMS  = b'\x90'  # modify set by adding topmost stack items
        // FROZENSET = b'\x91'  # build frozenset from topmost stack items
        var v = Values(p => p
            .EmptySet().Mark().BinInt1(1).Str("two").AddItems()
            .Mark().BinInt1(3).FrozenSet()
            .Global("builtins", "set").EmptyList().Mark().Str("a").Str("b").Appends().Tuple1().Reduce()
            .Global("__builtin__", "set").EmptyList().Tuple1().Reduce()
            .Global("__builtin__", "frozenset").EmptyList().BinInt1(9).Append().Tuple1().Reduce(), protocol: 4);
        var s = Assert.IsType<PySet>(v[0]);
        Assert.False(s.IsFrozen);
        Assert.Equal(new object[] { 1L, "two" }, s.ToArray());
        var fs = Assert.IsType<PySet>(v[1]);
        Assert.True(fs.IsFrozen);
        Assert.Equal(new object[] { 3L }, fs.ToArray());
        var reduced = Assert.IsType<PySet>(v[2]);
        Assert.False(reduced.IsFrozen);
        Assert.Equal(new object[] { "a", "b" }, reduced.ToArray());
        Assert.Empty(Assert.IsType<PySet>(v[3]));
        Assert.True(Assert.IsType<PySet>(v[4]).IsFrozen);
        Assert.Equal(new object[] { 9L }, Assert.IsType<PySet>(v[4]).ToArray());
    }

    // ---- memo ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Memo_text_PUT_GET()
    {
        // PUT = b'p'  # store stack top in memo; index is string arg
        // GET = b'g'  # push item from memo on stack; index is string arg
        var t = Assert.IsType<PyTuple>(Root(new P().Mark().EmptyList().Put(12).Get(12).Tuple()));
        Assert.Same(t[0], t[1]);
    }

    [Fact]
    public void Memo_BINPUT_BINGET_and_LONG_forms_share_one_object()
    {
        // BINPUT      = b'q'  #   "     "    "   "   " ;   "    " 1-byte arg
        // BINGET      = b'h'  #   "    "    "    "   "   "  ;   "    " 1-byte arg
        // LONG_BINPUT = b'r'  #   "     "    "   "   " ;   "    " 4-byte arg
        // LONG_BINGET = b'j'  # push item from memo on stack; index is 4-byte arg
        var t = Assert.IsType<PyTuple>(Root(P.Start()
            .Mark()
            .EmptyDict().BinPut(1)
            .EmptyList().LongBinPut(300)
            .BinGet(1).LongBinGet(300)
            .Tuple()));
        Assert.Equal(4, t.Count);
        Assert.Same(t[0], t[2]);
        Assert.Same(t[1], t[3]);
        Assert.IsType<PyDict>(t[0]);
        Assert.IsType<PyList>(t[1]);
    }

    [Fact]
    public void MEMOIZE_uses_the_next_free_index()
    {
        // MEMOIZE = b'\x94'  # store top of the stack in memo
        var t = Assert.IsType<PyTuple>(Root(P.Start(4)
            .Mark()
            .ShortBinUnicode("zero").Memoize()
            .EmptyList().Memoize()
            .BinGet(1).BinGet(0)
            .Tuple()));
        Assert.Equal("zero", t[0]);
        Assert.Same(t[1], t[2]);
        Assert.Equal("zero", t[3]);
    }

    [Fact]
    public void Shared_references_are_the_same_object_and_mutation_is_visible_through_both()
    {
        // a list memoized, referenced twice, then appended to: both references see the item (as in Python)
        var root = Assert.IsType<PyDict>(Root(P.Start()
            .EmptyDict()
            .Str("a").EmptyList().BinPut(0).SetItem()
            .Str("b").BinGet(0).SetItem()
            .BinGet(0).BinInt1(5).Append().Pop()));
        Assert.Same(root["a"], root["b"]);
        Assert.Equal(new object[] { 5L }, Assert.IsType<PyList>(root["b"]).ToArray());
    }

    // ---- stack --------------------------------------------------------------------------------------------------

    [Fact]
    public void POP_POP_MARK_DUP()
    {
        // POP      = b'0'  # discard topmost stack item
        // POP_MARK = b'1'  # discard stack top through topmost markobject
        // DUP      = b'2'  # duplicate top stack item
        var t = Assert.IsType<PyTuple>(Root(P.Start()
            .BinInt1(1).BinInt1(2).Pop()
            .Mark().BinInt1(8).BinInt1(9).PopMark()
            .EmptyList().Dup()
            .Tuple3()));
        Assert.Equal(1L, t[0]);
        Assert.IsType<PyList>(t[1]);
        Assert.Same(t[1], t[2]);
    }

    [Fact]
    public void POP_right_after_MARK_discards_the_mark()
    {
        // CPython's load_pop pops the mark when nothing was pushed after it: ( 0 then 1 2 TUPLE2 leaves (1, 2)
        var t = Assert.IsType<PyTuple>(Root(P.Start().BinInt1(1).Mark().Pop().BinInt1(2).Tuple2()));
        Assert.Equal(new object[] { 1L, 2L }, t.Items);
    }

    [Fact]
    public void NONE_NEWTRUE_NEWFALSE()
    {
        // NONE     = b'N'     # push None
        // NEWTRUE  = b'\x88'  # push True
        // NEWFALSE = b'\x89'  # push False
        var v = Values(p => p.None().True().False());
        Assert.Equal(new object?[] { null, true, false }, v.ToArray());
    }

    // ---- globals and calls --------------------------------------------------------------------------------------

    [Fact]
    public void GLOBAL_and_STACK_GLOBAL_make_inert_PyGlobal_references()
    {
        // GLOBAL       = b'c'     # push self.find_class(modname, name); 2 string args
        // STACK_GLOBAL = b'\x93'  # same as GLOBAL but using names on the stacks
        using var f = Load(P.Start(4)
            .Global("torch", "float32")
            .ShortBinUnicode("my.pkg").ShortBinUnicode("Thing").StackGlobal()
            .Tuple2());
        var t = Assert.IsType<PyTuple>(f.Root);
        var g1 = Assert.IsType<PyGlobal>(t[0]);
        Assert.Equal(("torch", "float32"), (g1.Module, g1.Name));
        var g2 = Assert.IsType<PyGlobal>(t[1]);
        Assert.Equal("my.pkg.Thing", g2.FullName);
        Assert.Equal(new[] { "my.pkg.Thing", "torch.float32" }, f.Globals);
    }

    [Fact]
    public void Python2_module_names_are_renamed()
    {
        // __builtin__ -> builtins (xrange -> range), copy_reg -> copyreg, as Python 3's fix_imports does
        using var f = Load(P.Start()
            .Mark()
            .Global("__builtin__", "complex").BinFloat(1.0).BinFloat(-2.0).Tuple2().Reduce()
            .Global("__builtin__", "xrange")
            .Global("copy_reg", "_reconstructor").Global("mymod", "Point").Global("__builtin__", "object").None().Tuple3().Reduce()
            .Tuple());
        var t = Assert.IsType<PyTuple>(f.Root);
        Assert.Equal(new Complex(1.0, -2.0), Assert.IsType<Complex>(t[0]));
        Assert.Equal("builtins.range", Assert.IsType<PyGlobal>(t[1]).FullName);
        var o = Assert.IsType<PyObject>(t[2]);
        Assert.Equal("copyreg._reconstructor", Assert.IsType<PyGlobal>(o.Callable).FullName);
        Assert.Equal(("mymod", "Point"), (o.Module, o.Name));
        Assert.Contains("copyreg._reconstructor", f.Globals);
        Assert.DoesNotContain("copy_reg._reconstructor", f.Globals);
    }

    [Fact]
    public void REDUCE_of_an_unknown_global_is_recorded_never_executed()
    {
        // REDUCE = b'R'  # apply callable to argtuple, both on stack
        using var f = Load(P.Start().Global("os", "system").Str("touch /tmp/pwned").Tuple1().Reduce());
        var o = Assert.IsType<PyObject>(f.Root);
        Assert.Equal(PyConstruction.Reduce, o.Construction);
        Assert.Equal("os.system", Assert.IsType<PyGlobal>(o.Callable).FullName);
        Assert.Equal(new object[] { "touch /tmp/pwned" }, o.Args.Items);
        Assert.Equal(new[] { "os.system" }, f.Globals);
    }

    [Fact]
    public void INST_and_OBJ_instantiate_opaque_objects()
    {
        // INST = b'i'  # build & push class instance
        // OBJ  = b'o'  # build & push class instance
        var t = Assert.IsType<PyTuple>(Root(new P()
            .Mark().BinInt1(1).Str("x").Inst("mymod", "Klass")
            .Mark().Global("othermod", "Other").BinInt1(5).Obj()
            .Tuple2()));
        var a = Assert.IsType<PyObject>(t[0]);
        Assert.Equal(PyConstruction.Instantiate, a.Construction);
        Assert.Equal(("mymod", "Klass"), (a.Module, a.Name));
        Assert.Equal(new object[] { 1L, "x" }, a.Args.Items);
        var b = Assert.IsType<PyObject>(t[1]);
        Assert.Equal(PyConstruction.Instantiate, b.Construction);
        Assert.Equal("othermod.Other", b.Class!.FullName);
        Assert.Equal(new object[] { 5L }, b.Args.Items);
    }

    [Fact]
    public void NEWOBJ_and_BUILD_give_an_opaque_object_its_attribute_bag()
    {
        // NEWOBJ = b'\x81'  # build object by applying cls.__new__ to argtuple
        // BUILD  = b'b'     # call __setstate__ or __dict__.update()
        var o = Assert.IsType<PyObject>(Root(P.Start()
            .Global("__main__", "Net").EmptyTuple().NewObj()
            .EmptyDict().Str("training").True().SetItem().Str("hidden").BinInt1(64).SetItem().Build()
            .EmptyDict().Str("extra").None().SetItem().Build()));
        Assert.Equal(PyConstruction.NewObj, o.Construction);
        Assert.Equal(("__main__", "Net"), (o.Module, o.Name));
        var attrs = Assert.IsType<PyDict>(o.Attributes);
        Assert.Equal(true, attrs["training"]);
        Assert.Equal(64L, attrs["hidden"]);
        Assert.True(attrs.ContainsKey("extra")); // a second BUILD updates the same __dict__
    }

    [Fact]
    public void NEWOBJ_EX_keeps_keyword_arguments()
    {
        // NEWOBJ_EX = b'\x92'  # like NEWOBJ but work with keyword only arguments
        var o = Assert.IsType<PyObject>(Root(P.Start(4)
            .Global("mymod", "Kw").BinInt1(1).Tuple1().EmptyDict().Str("k").BinInt1(2).SetItem().NewObjEx()));
        Assert.Equal(PyConstruction.NewObjEx, o.Construction);
        Assert.Equal(new object[] { 1L }, o.Args.Items);
        Assert.Equal(2L, Assert.IsType<PyDict>(o.Kwargs)["k"]);
    }

    [Fact]
    public void BUILD_on_an_OrderedDict_sets_its_metadata_attribute()
    {
        // state_dict()._metadata travels as BUILD with {'_metadata': OrderedDict(...)} on the OrderedDict
        var d = Assert.IsType<PyDict>(Root(P.Start()
            .OrderedDict()
            .Str("w").BinInt1(1).SetItem()
            .EmptyDict().Str("_metadata")
                .OrderedDict().Str("").EmptyDict().Str("version").BinInt1(2).SetItem().SetItem()
            .SetItem().Build()));
        Assert.True(d.IsOrderedDict);
        Assert.Equal("collections.OrderedDict", d.ClassName);
        Assert.Equal(new object?[] { "w" }, d.Keys.ToArray());
        var meta = Assert.IsType<PyDict>(Assert.IsType<PyDict>(d.Attributes)["_metadata"]);
        Assert.True(meta.IsOrderedDict);
        Assert.Equal(2L, Assert.IsType<PyDict>(meta[""])["version"]);
    }

    // ---- protocol 4/5 framing -----------------------------------------------------------------------------------

    [Fact]
    public void FRAME_wraps_the_opcodes_of_a_protocol4_pickle()
    {
        // FRAME = b'\x95'  # indicate the beginning of a new frame
        var body = new P().ShortBinUnicode("collections").Memoize().ShortBinUnicode("OrderedDict").Memoize().StackGlobal().Memoize()
            .EmptyTuple().Reduce().Memoize().ShortBinUnicode("k").Memoize().BinInt1(3).SetItem().Stop();
        var bytes = P.Start(4).Framed(body).ToArray();
        using var f = PtFile.Load(ZipBuilder.MakePt(bytes));
        var d = Assert.IsType<PyDict>(f.Root);
        Assert.True(d.IsOrderedDict);
        Assert.Equal(3L, d["k"]);
        Assert.Equal(4, f.PickleProtocol);
    }

    [Fact]
    public void Two_consecutive_frames()
    {
        var first = new P().EmptyList().Mark().BinInt1(1);
        var second = new P().BinInt1(2).Appends().Stop();
        var bytes = P.Start(4).Framed(first).Framed(second).ToArray();
        using var f = PtFile.Load(ZipBuilder.MakePt(bytes));
        Assert.Equal(new object[] { 1L, 2L }, Assert.IsType<PyList>(f.Root).ToArray());
    }

    [Fact]
    public void READONLY_BUFFER_leaves_the_value_unchanged()
    {
        // READONLY_BUFFER = b'\x98'  # make top of stack readonly
        Assert.Equal(new byte[] { 4, 5 }, Assert.IsType<byte[]>(Root(P.Start(5).ShortBinBytes([4, 5]).ReadOnlyBuffer())));
    }

    [Fact]
    public void NEXT_BUFFER_is_a_typed_Unsupported_error()
    {
        // NEXT_BUFFER = b'\x97'  # push next out-of-band buffer
        var p = P.Start(5);
        int at = p.Position;
        var e = Fails(p.NextBuffer());
        Assert.Equal(PtErrorKind.Unsupported, e.Kind);
        Assert.Equal("archive/data.pkl", e.Record);
        Assert.Equal(at, e.Offset);
        Assert.Contains("NEXT_BUFFER", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EXT_opcodes_are_Unsupported(int width)
    {
        // EXT1 = b'\x82'  # push object from extension registry; 1-byte index
        // EXT2 = b'\x83'  # ditto, but 2-byte index
        // EXT4 = b'\x84'  # ditto, but 4-byte index
        var p = P.Start();
        int at = p.Position;
        p = width switch { 1 => p.Ext1(1), 2 => p.Ext2(1), _ => p.Ext4(1) };
        var e = Fails(p);
        Assert.Equal(PtErrorKind.Unsupported, e.Kind);
        Assert.Equal(at, e.Offset);
        Assert.Contains("'archive/data.pkl'", e.Message);
    }

    // ---- persistent ids -----------------------------------------------------------------------------------------

    [Fact]
    public void BINPERSID_storage_tuple_resolves_to_a_storage_and_text_PERSID_string_is_rejected_by_the_zip_format()
    {
        // PERSID    = b'P'  # push persistent object; id is taken from string arg
        // BINPERSID = b'Q'  #  "       "         "  ;  "  "   "     "  stack
        using (var f = Load(P.Start().Tensor("FloatStorage", "0", 1, 0, [], []), RawData.Of(2.5f)))
            Assert.Equal(2.5f, Assert.IsType<PtTensor>(f.Root).ToArray<float>()[0]);

        var p = P.Start();
        int at = p.Position;
        var e = Fails(p.PersIdText("0"));
        Assert.Equal(PtErrorKind.CorruptPickle, e.Kind);
        Assert.Equal(at, e.Offset);
        Assert.Contains("persistent id", e.Message);
    }

    // ---- tensors: views -----------------------------------------------------------------------------------------

    private static readonly byte[] SixFloats = RawData.Of(0f, 1f, 2f, 3f, 4f, 5f);

    [Fact]
    public void Tensor_with_storage_offset()
    {
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 6, 2, [3], [1]), SixFloats);
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(2, t.StorageOffset);
        Assert.Equal(new long[] { 3 }, t.Shape);
        Assert.True(t.IsContiguous);
        Assert.Equal(new[] { 2f, 3f, 4f }, t.AsSpan<float>().ToArray());
        Assert.Equal(new[] { 2f, 3f, 4f }, t.ToArray<float>());
        Assert.Equal("torch._utils._rebuild_tensor_v2", t.Rebuild);
        Assert.Equal(24, t.Storage!.ByteLength);
    }

    [Fact]
    public void Transposed_view_is_non_contiguous_and_ToArray_follows_strides()
    {
        // base 2x3 [[0,1,2],[3,4,5]]; .t() is 3x2 with stride (1, 3)
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 6, 0, [3, 2], [1, 3]), SixFloats);
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.False(t.IsContiguous);
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, t.ToArray<float>());
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, t.ToFloatArray());
        Assert.Throws<InvalidOperationException>(() => t.AsSpan<float>().Length);

        var span = t.AsTensorSpan<float>();
        Assert.Equal(2, span.Rank);
        ReadOnlySpan<nint> idx = [2, 1];
        Assert.Equal(5f, span[idx]);
        var flat = new float[6];
        span.FlattenTo(flat);
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, flat);
    }

    [Fact]
    public void Stride_zero_expand_repeats_elements()
    {
        // torch.tensor([1., 2., 3.]).expand(2, 3): size (2, 3), stride (0, 1)
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 3, 0, [2, 3], [0, 1]), RawData.Of(1f, 2f, 3f));
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.False(t.IsContiguous);
        Assert.Equal(6, t.ElementCount);
        Assert.Equal(new[] { 1f, 2f, 3f, 1f, 2f, 3f }, t.ToArray<float>());
        ReadOnlySpan<nint> idx = [1, 2];
        Assert.Equal(3f, t.AsTensorSpan<float>()[idx]);
    }

    [Fact]
    public void Zero_size_tensor_over_an_empty_record()
    {
        // torch.save writes data/<key> with length 0 (no data descriptor) for an empty storage
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 0, 0, [0, 4], [4, 1]), new byte[0]);
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(0, t.ElementCount);
        Assert.Equal(new long[] { 0, 4 }, t.Shape);
        Assert.True(t.IsContiguous);
        Assert.Empty(t.ToArray<float>());
        Assert.Empty(t.ToFloatArray());
        Assert.Equal(0, t.AsSpan<float>().Length);
        Assert.Equal(0, t.Storage!.ByteLength);
        Assert.Equal("archive/data/0", t.Storage.Record);
    }

    [Fact]
    public void Zero_size_tensor_AsTensorSpan_is_empty()
    {
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 0, 0, [0, 4], [4, 1]), new byte[0]);
        var t = Assert.IsType<PtTensor>(f.Root);
        var ts = t.AsTensorSpan<float>();
        Assert.Equal(0, ts.FlattenedLength);
        Assert.Equal(2, ts.Rank);
    }

    [Fact]
    public void Zero_size_tensor_without_a_record_reads_as_empty()
    {
        // ZipStorageResolver accepts a missing record when the storage has 0 bytes; reading such a tensor must then
        // give no elements rather than "has no data"
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 0, 0, [0], [1]));
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(0, t.ElementCount);
        Assert.Empty(t.ToArray<float>());
        Assert.Equal(0, t.AsSpan<float>().Length);
    }

    [Fact]
    public void Zero_dim_scalar()
    {
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 3, 1, [], []), RawData.Of(7f, 8f, 9f));
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(0, t.Rank);
        Assert.Equal(1, t.ElementCount);
        Assert.True(t.IsContiguous);
        Assert.Equal(new[] { 8f }, t.ToArray<float>());
        Assert.Equal(8f, t.AsSpan<float>()[0]);
        var ts = t.AsTensorSpan<float>();
        Assert.Equal(1, ts.FlattenedLength);
        var one = new float[1];
        ts.FlattenTo(one);
        Assert.Equal(8f, one[0]);
    }

    [Fact]
    public void Shared_storage_key_gives_the_same_PtStorage_object()
    {
        // a = tensor; b = a[1:] (same key, repeated pid); c via a memoized pid (BINGET), as the C++ pickler writes it
        var p = P.Start().EmptyDict()
            .Str("a").Tensor(s => s.StoragePid("FloatStorage", "0", 6).BinPut(9), 0, [6], [1]).SetItem()
            .Str("b").Tensor("FloatStorage", "0", 6, 1, [5], [1]).SetItem()
            .Str("c").Tensor(s => s.BinGet(9), 3, [3], [1]).SetItem();
        using var f = Load(p, SixFloats);
        var d = Assert.IsType<PyDict>(f.Root);
        var a = Assert.IsType<PtTensor>(d["a"]);
        var b = Assert.IsType<PtTensor>(d["b"]);
        var c = Assert.IsType<PtTensor>(d["c"]);
        Assert.Same(a.Storage, b.Storage);
        Assert.Same(a.Storage, c.Storage);
        Assert.Single(f.Storages);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f }, b.ToArray<float>());
        Assert.Equal(new[] { 3f, 4f, 5f }, c.AsSpan<float>().ToArray());
        Assert.Equal(PtKind.StateDict, f.Kind);
    }

    [Fact]
    public void AsSpan_and_AsTensorSpan_read_the_mapped_values()
    {
        using var f = Load(P.Start().Tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1]), SixFloats);
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(SixFloats.Length / 4, t.AsSpan<float>().Length);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, t.AsSpan<float>().ToArray());
        var ts = t.AsTensorSpan<float>();
        ReadOnlySpan<nint> idx = [1, 0];
        Assert.Equal(3f, ts[idx]);
        Assert.Equal(6, ts.FlattenedLength);
        Assert.Throws<ArgumentException>(() => t.AsSpan<double>().Length);
    }

    // ---- tensors: element types ---------------------------------------------------------------------------------

    [Fact]
    public void Float16_ToFloatArray_exact_values()
    {
        ushort[] bits = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x7E00, 0x8000];
        using var f = Load(P.Start().Tensor("HalfStorage", "0", bits.Length, 0, [bits.Length], [1]), RawData.Of(bits));
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(DType.Float16, t.DType);
        var v = t.ToFloatArray();
        Assert.Equal(1f, v[0]);
        Assert.Equal(-2f, v[1]);
        Assert.Equal(65504f, v[2]);
        Assert.Equal(MathF.ScaleB(1f, -24), v[3]); // smallest subnormal
        Assert.Equal(float.PositiveInfinity, v[4]);
        Assert.Equal(float.NegativeInfinity, v[5]);
        Assert.True(float.IsNaN(v[6]));
        Assert.True(v[7] == 0 && float.IsNegative(v[7]));
        Assert.Equal((Half)(-2f), t.AsSpan<Half>()[1]);
    }

    [Fact]
    public void BFloat16_ToFloatArray_exact_values()
    {
        ushort[] bits = [0x3F80, 0xC040, 0x7F80, 0x0001, 0x7FC0, 0x4049];
        using var f = Load(P.Start().Tensor("BFloat16Storage", "0", bits.Length, 0, [bits.Length], [1]), RawData.Of(bits));
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(DType.BFloat16, t.DType);
        var v = t.ToFloatArray();
        Assert.Equal(1f, v[0]);
        Assert.Equal(-3f, v[1]);
        Assert.Equal(float.PositiveInfinity, v[2]);
        Assert.Equal(MathF.ScaleB(1f, -133), v[3]); // float32 subnormal 2^-133
        Assert.True(float.IsNaN(v[4]));
        Assert.Equal(3.140625f, v[5]);
    }

    [Fact]
    public void Float8_e4m3fn_ToFloatArray_exact_values()
    {
        // e4m3fn: bias 7, no infinities, only S.1111.111 is NaN; max 448
        byte[] bits = [0x38, 0x7E, 0xFE, 0x01, 0x08, 0x7F, 0xFF, 0x00, 0x80, 0x07];
        using var f = Load(P.Start().TensorV3("float8_e4m3fn", "0", bits.Length, 0, [bits.Length], [1]), bits);
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(DType.Float8E4M3FN, t.DType);
        var v = t.ToFloatArray();
        Assert.Equal(1f, v[0]);
        Assert.Equal(448f, v[1]);
        Assert.Equal(-448f, v[2]);
        Assert.Equal(MathF.ScaleB(1f, -9), v[3]);   // smallest subnormal 0.001953125
        Assert.Equal(0.015625f, v[4]);               // smallest normal 2^-6
        Assert.True(float.IsNaN(v[5]));
        Assert.True(float.IsNaN(v[6]));
        Assert.Equal(0f, v[7]);
        Assert.True(v[8] == 0 && float.IsNegative(v[8]));
        Assert.Equal(7 * MathF.ScaleB(1f, -9), v[9]); // largest subnormal 0.013671875
    }

    [Fact]
    public void Float8_e5m2_ToFloatArray_exact_values()
    {
        // e5m2: bias 15, IEEE-like infinities and NaNs; max 57344
        byte[] bits = [0x3C, 0x7B, 0x7C, 0xFC, 0x7E, 0x01, 0x04, 0xC0];
        using var f = Load(P.Start().TensorV3("float8_e5m2", "0", bits.Length, 0, [bits.Length], [1]), bits);
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(DType.Float8E5M2, t.DType);
        var v = t.ToFloatArray();
        Assert.Equal(1f, v[0]);
        Assert.Equal(57344f, v[1]);
        Assert.Equal(float.PositiveInfinity, v[2]);
        Assert.Equal(float.NegativeInfinity, v[3]);
        Assert.True(float.IsNaN(v[4]));
        Assert.Equal(MathF.ScaleB(1f, -16), v[5]); // smallest subnormal
        Assert.Equal(MathF.ScaleB(1f, -14), v[6]); // smallest normal
        Assert.Equal(-2f, v[7]);
    }

    // ---- byte order ---------------------------------------------------------------------------------------------

    [Fact]
    public void Big_endian_byteorder_record_swaps_each_element()
    {
        var p = P.Start().EmptyDict()
            .Str("f").Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem()
            .Str("l").Tensor("LongStorage", "1", 3, 0, [3], [1]).SetItem()
            .Str("c").Tensor("ComplexFloatStorage", "2", 2, 0, [2], [1]).SetItem()
            .Str("b").Tensor("ByteStorage", "3", 2, 0, [2], [1]).SetItem()
            .Stop();
        byte[][] records =
        [
            RawData.BigEndianOf(1.5f, -2f),
            RawData.BigEndianOf(1L, -2L, long.MaxValue),
            RawData.BigEndianOf(1f, 2f, 3f, -4f), // real and imaginary halves swapped separately
            [0x12, 0x34],
        ];
        using var f = PtFile.Load(ZipBuilder.Torch(p.ToArray(), records, byteOrder: "big").Build());
        Assert.Equal("big", f.ByteOrder);
        Assert.True(f.HasByteOrderRecord);
        var d = Assert.IsType<PyDict>(f.Root);
        Assert.Equal(new[] { 1.5f, -2f }, Assert.IsType<PtTensor>(d["f"]).ToArray<float>());
        Assert.Equal(new[] { 1L, -2L, long.MaxValue }, Assert.IsType<PtTensor>(d["l"]).ToArray<long>());
        var c = Assert.IsType<PtTensor>(d["c"]);
        Assert.Equal(DType.Complex64, c.DType);
        Assert.Equal(new[] { new Vector2(1f, 2f), new Vector2(3f, -4f) }, c.ToArray<Vector2>());
        Assert.True(c.Storage!.IsBigEndian);
        Assert.Equal(new byte[] { 0x12, 0x34 }, Assert.IsType<PtTensor>(d["b"]).ToArray<byte>());
    }

    [Fact]
    public void Big_endian_untyped_storage_swaps_by_the_tensor_dtype()
    {
        // rebuild_tensor_v3 over an UntypedStorage: the element size comes from the tensor's dtype
        var p = P.Start().TensorV3("uint16", "0", 6, 0, [3], [1]).Stop();
        using var f = PtFile.Load(ZipBuilder.Torch(p.ToArray(), [RawData.BigEndianOf<ushort>(1, 0x1234, 0xFFFE)], byteOrder: "big").Build());
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(DType.UInt16, t.DType);
        Assert.Null(t.Storage!.DType);
        Assert.Equal(new ushort[] { 1, 0x1234, 0xFFFE }, t.ToArray<ushort>());
        Assert.Equal(new[] { 1.0, 0x1234, 0xFFFE }, t.ToDoubleArray());
    }

    [Fact]
    public void Missing_byteorder_record_means_little_endian()
    {
        var p = P.Start().Tensor("IntStorage", "0", 2, 0, [2], [1]).Stop();
        using var f = PtFile.Load(ZipBuilder.Torch(p.ToArray(), [RawData.Of(1, -1)], byteOrder: null).Build());
        Assert.False(f.HasByteOrderRecord);
        Assert.Equal("little", f.ByteOrder);
        Assert.Equal(new[] { 1, -1 }, Assert.IsType<PtTensor>(f.Root).ToArray<int>());
    }

    // ---- container variants -------------------------------------------------------------------------------------

    [Fact]
    public void Dot_data_version_record_is_read_instead_of_version()
    {
        var p = P.Start().Tensor("FloatStorage", "0", 1, 0, [1], [1]).Stop();
        using var f = PtFile.Load(ZipBuilder.Torch(p.ToArray(), [RawData.Of(4f)], versionRecord: ".data/version", version: "6\n").Build());
        Assert.Equal("6", f.FormatVersion);
        Assert.Contains(".data/version", f.RecordNames);
        Assert.DoesNotContain("version", f.RecordNames);
        Assert.Equal(4f, Assert.IsType<PtTensor>(f.Root).AsSpan<float>()[0]);
    }

    [Fact]
    public void Pointer_number_storage_keys_name_their_records()
    {
        // torch 1.6-1.8 used the storage's C pointer as key
        const string key = "94117336204288";
        var p = P.Start().Tensor("DoubleStorage", key, 2, 1, [1], [1]).Stop();
        using var f = PtFile.Load(ZipBuilder.TorchKeyed(p.ToArray(), [(key, RawData.Of(1.0, 2.0))]).Build());
        var t = Assert.IsType<PtTensor>(f.Root);
        Assert.Equal(key, t.Storage!.Key);
        Assert.Equal("archive/data/" + key, t.Storage.Record);
        Assert.Equal(new[] { 2.0 }, t.ToArray<double>());
    }

    [Fact]
    public void Any_archive_prefix_is_accepted()
    {
        var p = P.Start().Tensor("FloatStorage", "0", 1, 0, [], []).Stop();
        using var f = PtFile.Load(ZipBuilder.Torch(p.ToArray(), [RawData.Of(9f)], archive: "resnet50-v1.5_final").Build());
        Assert.Equal("resnet50-v1.5_final", f.ArchiveName);
        Assert.Equal("resnet50-v1.5_final/data/0", Assert.IsType<PtTensor>(f.Root).Storage!.Record);
        Assert.Contains("data.pkl", f.RecordNames);
        Assert.Equal(9f, Assert.IsType<PtTensor>(f.Root).ToArray<float>()[0]);
    }

    [Fact]
    public void Deflated_members_are_inflated()
    {
        var p = P.Start().EmptyDict().Str("w").Tensor("FloatStorage", "0", 6, 0, [6], [1]).SetItem().Stop();
        var zip = ZipBuilder.Torch(p.ToArray(), [SixFloats]).DeflateMember("archive/data.pkl").DeflateMember("archive/data/0");
        var bytes = zip.Build();
        using var f = PtFile.Load(bytes);
        Assert.Equal(8, f.Entries.Single(e => e.Name == "archive/data/0").Method);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, Assert.IsType<PtTensor>(Assert.IsType<PyDict>(f.Root)["w"]).ToArray<float>());
    }

    [Fact]
    public void Zip64_end_records_and_zip64_extras_are_used()
    {
        // only the ZIP64 end record and the ZIP64 extra fields hold the real counts, sizes and offsets
        var p = P.Start().Tensor("FloatStorage", "0", 6, 0, [6], [1]).Stop();
        var zip = ZipBuilder.Torch(p.ToArray(), [SixFloats]);
        zip.ClampClassicEnd = true;
        zip.Zip64CentralExtras = true;
        using var f = PtFile.Load(zip.Build());
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, Assert.IsType<PtTensor>(f.Root).ToArray<float>());
        var e = f.Entries.Single(x => x.Name == "archive/data/0");
        Assert.Equal(24, e.UncompressedSize);
        Assert.Equal(zip.PayloadOffsets["archive/data/0"], e.DataOffset);
    }

    [Fact]
    public void Payload_offsets_come_from_the_local_header_FB_padding()
    {
        var p = P.Start().Tensor("FloatStorage", "0", 6, 0, [6], [1]).Stop();
        var zip = ZipBuilder.Torch(p.ToArray(), [SixFloats]);
        using var f = PtFile.Load(zip.Build());
        foreach (var e in f.Entries)
        {
            Assert.Equal(zip.PayloadOffsets[e.Name], e.DataOffset);
            Assert.Equal(0, e.DataOffset % 64);
        }
    }

    [Fact]
    public void Plain_zip_without_padding_descriptors_or_zip64_loads()
    {
        var p = P.Start().Tensor("FloatStorage", "0", 6, 0, [2], [3]).Stop();
        var zip = ZipBuilder.Torch(p.ToArray(), [SixFloats]);
        zip.Alignment = null;
        zip.DataDescriptors = false;
        zip.Zip64End = false;
        using var f = PtFile.Load(zip.Build());
        Assert.Equal(new[] { 0f, 3f }, Assert.IsType<PtTensor>(f.Root).ToArray<float>());
    }
}
