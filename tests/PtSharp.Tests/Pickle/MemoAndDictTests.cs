using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

using P = PtSharp.Tests.Support.PickleBuilder;

namespace PtSharp.Tests.Pickle;

/// <summary>
/// The memo pre-pass (<see cref="MemoUsage"/>: only entries a GET reads back are kept alive) and the deferred
/// indexing of dicts filled by SETITEMS/DICT must not change what a pickle means: every value, shared reference,
/// MEMOIZE number, repeated key and error stays as CPython's unpickler has it.
/// </summary>
public sealed class MemoAndDictTests
{
    private static object? Root(P pickle)
    {
        using var f = PtFile.Load(ZipBuilder.MakePt(pickle.Stop().ToArray()));
        return f.Root;
    }

    private static MemoUsage? Scan(P pickle)
    {
        var bytes = PinnedBytes.CopyOf(pickle.ToArray());
        return MemoUsage.Scan(new ByteWindow(bytes, 0, bytes.Length), 0);
    }

    [Fact]
    public void The_pre_pass_finds_exactly_the_indices_that_are_read_back()
    {
        var usage = Scan(P.Start(4)
            .Framed(new P()
                .Mark()
                .ShortBinUnicode("hqj").BinPut(0)          // argument bytes that look like BINGET/LONG_BINGET opcodes
                .BinBytes([0x68, 0x07, 0x6A, 1, 0, 0, 0]).BinPut(1)
                .EmptyList().LongBinPut(70_000)
                .BinGet(0).LongBinGet(70_000).Get(123_456_789)
                .Tuple())
            .Stop());
        Assert.NotNull(usage);
        Assert.True(usage.IsFetched(0));
        Assert.True(usage.IsFetched(70_000));
        Assert.True(usage.IsFetched(123_456_789));
        Assert.False(usage.IsFetched(1));
        Assert.False(usage.IsFetched(7));
        Assert.False(usage.IsFetched(-1));
        Assert.False(usage.IsFetched(long.MaxValue));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("no-stop")]
    [InlineData("unknown-opcode")]
    [InlineData("bad-get")]
    public void The_pre_pass_gives_up_rather_than_guess(string kind)
    {
        var p = P.Start().Mark().EmptyList().BinPut(0).BinGet(0);
        var usage = kind switch
        {
            "truncated" => Scan(p.Op(P.BINUNICODE).Raw(200, 0, 0, 0).Ascii("short")),
            "no-stop" => Scan(p.Tuple()),
            "unknown-opcode" => Scan(p.Op(0xFF).Tuple().Stop()),
            _ => Scan(p.Op(P.GET).Ascii("x1\n").Tuple().Stop()),
        };
        Assert.Null(usage);
    }

    [Fact]
    public void Entries_that_are_never_read_back_still_count_for_MEMOIZE_numbering()
    {
        // PUT 0 twice is one memo entry, so the MEMOIZE after it stores index 1; a sparse PUT 5 counts once too.
        var t = Assert.IsType<PyTuple>(Root(P.Start(4)
            .Mark()
            .ShortBinUnicode("a").BinPut(0)
            .ShortBinUnicode("b").BinPut(0)
            .ShortBinUnicode("c").BinPut(5)
            .ShortBinUnicode("d").Memoize()   // len(memo) == 2
            .ShortBinUnicode("e").Memoize()   // len(memo) == 3
            .BinGet(0).BinGet(2).BinGet(3).BinGet(5)
            .Tuple()));
        Assert.Equal(new object?[] { "a", "b", "c", "d", "e", "b", "d", "e", "c" }, t.Items);
    }

    [Fact]
    public void Reading_an_entry_that_was_never_stored_is_still_an_error_with_its_offset()
    {
        var p = P.Start().Mark().EmptyList().BinPut(0);
        int at = p.Position;
        var ex = Assert.Throws<PtFormatException>(() => Root(p.BinGet(1).Tuple()));
        Assert.Contains("memo entry 1 was never stored", ex.Message);
        Assert.Equal(at, ex.Offset);
    }

    [Fact]
    public void A_repeated_key_in_SETITEMS_keeps_its_first_position_and_takes_the_last_value()
    {
        // CPython: d = {}; d['a'] = 1; d['b'] = 2; d['a'] = 3; d[1] = 'x'; d[1.0] = 'y'; d[True] = 'z'
        // -> {'a': 3, 'b': 2, 1: 'z'} (1, 1.0 and True are one key; the first spelling is kept)
        var d = Assert.IsType<PyDict>(Root(P.Start()
            .EmptyDict()
            .Mark().Str("a").BinInt1(1).Str("b").BinInt1(2).Str("a").BinInt1(3).SetItems()
            .Mark().BinInt1(1).Str("x").BinFloat(1.0).Str("y").True().Str("z").SetItems()));
        Assert.Equal(3, d.Count);
        Assert.Equal(new object?[] { "a", "b", 1L }, d.Keys.ToArray());
        Assert.Equal(new object?[] { 3L, 2L, "z" }, d.Values.ToArray());
        Assert.Equal(3L, d["a"]);
        Assert.Equal("z", d[true]);
    }

    [Fact]
    public void DICT_with_repeated_keys_and_a_dict_read_while_the_pickle_runs()
    {
        // DICT builds {'k': 2}; OrderedDict(that dict) reads it mid-pickle, then SETITEM adds to the original.
        var t = Assert.IsType<PyTuple>(Root(P.Start()
            .Mark().Str("k").BinInt1(1).Str("k").BinInt1(2).Dict().BinPut(0)
            .Global("collections", "OrderedDict").BinGet(0).Tuple1().Reduce().BinPut(1)
            .BinGet(0).Str("new").BinInt1(9).SetItem().Pop()
            .Tuple2()));
        var plain = Assert.IsType<PyDict>(t[0]);
        var ordered = Assert.IsType<PyDict>(t[1]);
        Assert.Equal(new object?[] { "k", "new" }, plain.Keys.ToArray());
        Assert.Equal(new object?[] { 2L, 9L }, plain.Values.ToArray());
        Assert.Equal(new object?[] { "k" }, ordered.Keys.ToArray());
        Assert.Equal(2L, ordered["k"]);
    }

    [Fact]
    public void A_key_too_big_to_hash_fails_while_loading_not_later()
    {
        // A tuple key of 300 items exceeds the hashing cap; the load itself must fail, not a later lookup.
        var p = P.Start().EmptyDict().Mark().Mark();
        for (int i = 0; i < 300; i++) p.BinInt1((byte)i);
        p.Tuple().Str("v").SetItems();
        var ex = Assert.Throws<PtFormatException>(() => Root(p));
        Assert.Equal(PtErrorKind.LimitExceeded, ex.Kind);
    }

    // ---- argument tuples handed over without being built ----------------------------------------------------------

    private static byte[] FloatRecord(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void A_storage_id_tuple_that_is_read_back_later_is_still_built_and_shared()
    {
        // ('storage', FloatStorage, '0', 'cpu', 2) memoized as entry 0, used by BINPERSID, then fetched again.
        var p = P.Start().Mark()
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(2).Tuple().BinPut(0).BinPersId()
            .Int(0).IntTuple(2).IntTuple(1).False().OrderedDict().Tuple().Reduce()
            .BinGet(0)
            .Tuple();
        using var f = PtFile.Load(ZipBuilder.MakePt(p.Stop().ToArray(), FloatRecord(1, 2)));
        var root = Assert.IsType<PyTuple>(f.Root);
        Assert.Equal(new float[] { 1, 2 }, Assert.IsType<PtTensor>(root[0]).ToArray<float>());
        var pid = Assert.IsType<PyTuple>(root[1]);
        Assert.Equal("storage", pid[0]);
        Assert.Equal(2L, pid[4]);
    }

    [Fact]
    public void Reduce_arguments_of_an_unknown_callable_become_the_opaque_objects_tuple()
    {
        // argparse.Namespace(*('a', 1, 2.5, None)) with its argument tuple memoized (BINPUT) but never read back.
        var o = Assert.IsType<PyObject>(Root(P.Start()
            .Global("argparse", "Namespace").Mark().Str("a").BinInt1(1).BinFloat(2.5).None().Tuple().BinPut(3).Reduce()));
        Assert.Equal("argparse", o.Module);
        Assert.Equal(new object?[] { "a", 1L, 2.5, null }, o.Args.Items);
    }

    [Fact]
    public void MEMOIZE_between_TUPLE_and_REDUCE_still_takes_its_number()
    {
        // The tuple takes memo index 1 (MEMOIZE), so the next MEMOIZE is index 2.
        var t = Assert.IsType<PyTuple>(Root(P.Start(4)
            .Mark()
            .ShortBinUnicode("first").Memoize()
            .Global("argparse", "Namespace").Mark().BinInt1(1).BinInt1(2).BinInt1(3).BinInt1(4).Tuple().Memoize().Reduce()
            .ShortBinUnicode("third").Memoize()
            .BinGet(2).BinGet(0)
            .Tuple()));
        Assert.Equal("third", t[3]);
        Assert.Equal("first", t[4]);
    }

    [Fact]
    public void REDUCE_without_a_callable_under_the_mark_is_still_a_stack_underflow()
    {
        var p = P.Start().Mark().BinInt1(1).BinInt1(2).BinInt1(3).BinInt1(4).Tuple();
        int at = p.Position;
        var ex = Assert.Throws<PtFormatException>(() => Root(p.Reduce()));
        Assert.Contains("stack underflow", ex.Message);
        Assert.Equal(at, ex.Offset);
    }

    [Fact]
    public void A_frame_that_ends_after_TUPLE_is_honoured()
    {
        // FRAME ends right after TUPLE: the REDUCE in the next frame still applies to it.
        var first = new P().Global("argparse", "Namespace").Mark().BinInt1(7).BinInt1(8).BinInt1(9).BinInt1(10).Tuple();
        var second = new P().Reduce();
        var o = Assert.IsType<PyObject>(Root(P.Start(4).Framed(first).Framed(second)));
        Assert.Equal(new object?[] { 7L, 8L, 9L, 10L }, o.Args.Items);
    }
}
