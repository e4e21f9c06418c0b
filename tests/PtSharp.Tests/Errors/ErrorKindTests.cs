using System.Buffers.Binary;
using System.Text;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

using P = PtSharp.Tests.Support.PickleBuilder;

namespace PtSharp.Tests.Errors;

/// <summary>
/// Every <see cref="PtErrorKind"/> provoked by a minimal hand-built input. Each test checks the kind and that the
/// exception locates the problem (record name and/or byte offset, in the properties and in the message).
/// </summary>
public sealed class ErrorKindTests
{
    private const string DataPkl = "archive/data.pkl";

    private static PtFormatException Fails(byte[] file, PtLoadOptions? options = null) =>
        Assert.Throws<PtFormatException>(() => PtFile.Load(file, options));

    private static PtFormatException FailsPickle(P pickle, params byte[][] records) =>
        Fails(ZipBuilder.MakePt(pickle.ToArray(), records));

    /// <summary>Asserts kind, record and offset, and that the message names both.</summary>
    private static void AssertAt(PtFormatException e, PtErrorKind kind, string? record, long? offset)
    {
        Assert.Equal(kind, e.Kind);
        Assert.Equal(record, e.Record);
        Assert.Equal(offset, e.Offset);
        if (record is not null) Assert.Contains($"'{record}'", e.Message);
        if (offset is not null) Assert.Contains($"at byte {offset}", e.Message);
    }

    // ---- Truncated ----------------------------------------------------------------------------------------------

    [Fact]
    public void Truncated_opcode_argument()
    {
        var p = P.Start().Op(P.BININT).Raw(1, 2); // BININT needs 4 bytes
        var e = FailsPickle(p);
        AssertAt(e, PtErrorKind.Truncated, DataPkl, 3);
        Assert.Contains("BININT", e.Message);
    }

    [Fact]
    public void Truncated_unterminated_pickle_without_STOP()
    {
        var p = P.Start().EmptyDict().Str("k").None().SetItem();
        var e = FailsPickle(p);
        AssertAt(e, PtErrorKind.Truncated, DataPkl, p.Position);
        Assert.Contains("opcode", e.Message);
    }

    [Fact]
    public void Truncated_zip_central_directory_outside_the_file()
    {
        var zip = ZipBuilder.Torch(P.Start().None().Stop().ToArray(), []);
        zip.Zip64End = false;
        var bytes = zip.Build();
        long claimed = bytes.Length + 1000;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 6), (uint)claimed);
        var e = Fails(bytes);
        Assert.Equal(PtErrorKind.Truncated, e.Kind);
        Assert.Equal(claimed, e.Offset);
        Assert.Contains($"at byte {claimed}", e.Message);
        Assert.Contains("central directory", e.Message);
    }

    [Theory]
    [InlineData(1UL << 40)]
    [InlineData((ulong)long.MaxValue)]
    [InlineData(ulong.MaxValue)]
    public void Truncated_huge_BINBYTES8_claim_allocates_nothing_big(ulong claimed)
    {
        var file = ZipBuilder.MakePt(P.Start(4).BinBytes8Header(claimed).Raw(1, 2, 3).Stop().ToArray());
        Fails(file); // warm up (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Fails(file);
        long delta = GC.GetAllocatedBytesForCurrentThread() - before;
        AssertAt(e, PtErrorKind.Truncated, DataPkl, 11);
        Assert.True(delta < 1_000_000, $"loading a {file.Length}-byte file claiming {claimed} bytes allocated {delta} bytes");
    }

    [Fact]
    public void Truncated_huge_BINUNICODE_and_LONG4_claims()
    {
        var e1 = FailsPickle(P.Start().Op(P.BINUNICODE).Raw(0xFF, 0xFF, 0xFF, 0x7F).Raw((byte)'a').Stop());
        AssertAt(e1, PtErrorKind.Truncated, DataPkl, 7);
        var e2 = FailsPickle(P.Start().Op(P.LONG4).Raw(0xFF, 0xFF, 0xFF, 0x7F).Raw(1).Stop());
        AssertAt(e2, PtErrorKind.Truncated, DataPkl, 7);
    }

    // ---- CorruptContainer ---------------------------------------------------------------------------------------

    [Fact]
    public void CorruptContainer_bad_byteorder_record()
    {
        var e = Fails(ZipBuilder.Torch(P.Start().None().Stop().ToArray(), [], byteOrder: "middle").Build());
        AssertAt(e, PtErrorKind.CorruptContainer, "archive/byteorder", 0);
        Assert.Contains("middle", e.Message);
    }

    [Fact]
    public void CorruptContainer_zip_without_end_record()
    {
        var bytes = ZipBuilder.MakePt(P.Start().None().Stop().ToArray());
        var cut = bytes[..^30]; // the classic end record (22 bytes) is gone
        var e = Fails(cut);
        Assert.Equal(PtErrorKind.CorruptContainer, e.Kind);
        Assert.Equal(cut.Length, e.Offset);
        Assert.Contains("end-of-central-directory", e.Message);
    }

    [Fact]
    public void CorruptContainer_deflate_stream_is_garbage()
    {
        var zip = ZipBuilder.Torch(P.Start().None().Stop().ToArray(), []).DeflateMember(DataPkl);
        var bytes = zip.Build();
        long at = zip.PayloadOffsets[DataPkl];
        bytes[at] = 0xFF; // reserved block type 11
        bytes[at + 1] = 0xFF;
        var e = Fails(bytes);
        Assert.Equal(PtErrorKind.CorruptContainer, e.Kind);
        Assert.Equal(DataPkl, e.Record);
        Assert.Contains($"'{DataPkl}'", e.Message);
    }

    // ---- MissingRecord ------------------------------------------------------------------------------------------

    [Fact]
    public void MissingRecord_storage_record_absent()
    {
        var p = P.Start().Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Mark().Str("storage").Global("torch", "FloatStorage").Str("7").Str("cpu").Int(2).Tuple();
        int persid = p.Position;
        p.BinPersId().Int(0).IntTuple(2).IntTuple(1).False().OrderedDict().Tuple().Reduce().Stop();
        var e = FailsPickle(p, RawData.Of(1f, 2f)); // only data/0 exists
        AssertAt(e, PtErrorKind.MissingRecord, DataPkl, persid);
        Assert.Contains("archive/data/7", e.Message);
    }

    [Fact]
    public void MissingRecord_no_data_pkl()
    {
        var bytes = new ZipBuilder().Add("archive/version", "3\n").Add("archive/data/0", RawData.Of(1f)).Build();
        var e = Fails(bytes);
        Assert.Equal(PtErrorKind.MissingRecord, e.Kind);
        Assert.Contains("data.pkl", e.Message);
        Assert.Contains("archive/version", e.Message); // names the first entry it looked at
    }

    // ---- CorruptPickle ------------------------------------------------------------------------------------------

    [Fact]
    public void CorruptPickle_unknown_opcode()
    {
        var e = FailsPickle(P.Start().None().Op(0xFF).Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, 3);
        Assert.Contains("0xFF", e.Message);
    }

    [Fact]
    public void CorruptPickle_SETITEM_on_a_list()
    {
        var p = P.Start().EmptyList().Str("k").BinInt1(1);
        int at = p.Position;
        var e = FailsPickle(p.SetItem().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("SETITEM", e.Message);
        Assert.Contains("not a dict", e.Message);
    }

    [Fact]
    public void CorruptPickle_SETITEMS_on_a_tensor_like_value()
    {
        // CVE-2026-24747 pattern: SETITEMS aimed at a non-dict (here a tuple)
        var p = P.Start().EmptyTuple().Mark().Str("k").BinInt1(1);
        int at = p.Position;
        var e = FailsPickle(p.SetItems().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
    }

    [Fact]
    public void CorruptPickle_APPEND_on_a_dict()
    {
        var p = P.Start().EmptyDict().BinInt1(1);
        int at = p.Position;
        var e = FailsPickle(p.Append().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("APPEND", e.Message);
        Assert.Contains("not a list", e.Message);
    }

    [Fact]
    public void CorruptPickle_ADDITEMS_on_a_frozenset()
    {
        var p = P.Start(4).Mark().FrozenSet().Mark().BinInt1(1);
        int at = p.Position;
        var e = FailsPickle(p.AddItems().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
    }

    [Fact]
    public void CorruptPickle_stack_underflow()
    {
        var p = P.Start().BinInt1(1);
        int at = p.Position;
        var e = FailsPickle(p.Tuple2().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("stack underflow", e.Message);
    }

    [Fact]
    public void CorruptPickle_pop_below_a_mark_is_underflow()
    {
        // TUPLE1 may not take the value that sits below the topmost MARK
        var p = P.Start().BinInt1(1).Mark();
        int at = p.Position;
        var e = FailsPickle(p.Tuple1().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("underflow", e.Message);
    }

    [Fact]
    public void CorruptPickle_missing_memo_entry()
    {
        var p = P.Start().None().BinPut(1);
        int at = p.Position;
        var e = FailsPickle(p.BinGet(5).Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("memo entry 5", e.Message);
    }

    [Fact]
    public void CorruptPickle_POP_MARK_without_MARK_and_STOP_on_empty_stack()
    {
        var e1 = FailsPickle(P.Start().PopMark().Stop());
        AssertAt(e1, PtErrorKind.CorruptPickle, DataPkl, 2);
        Assert.Contains("MARK", e1.Message);
        var e2 = FailsPickle(P.Start().Stop());
        AssertAt(e2, PtErrorKind.CorruptPickle, DataPkl, 2);
    }

    [Fact]
    public void CorruptPickle_opcode_crossing_its_frame()
    {
        // FRAME of 2 bytes, but the BININT inside needs 5
        var p = P.Start(4).Frame(2).BinInt(7).Stop();
        var e = FailsPickle(p);
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, 12);
        Assert.Contains("frame", e.Message);
    }

    [Fact]
    public void CorruptPickle_BUILD_on_an_int()
    {
        var p = P.Start().BinInt1(3).EmptyDict();
        int at = p.Position;
        var e = FailsPickle(p.Build().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("BUILD", e.Message);
    }

    [Fact]
    public void CorruptPickle_unhashable_dict_key()
    {
        var p = P.Start().EmptyDict().EmptyList().BinInt1(1);
        int at = p.Position;
        var e = FailsPickle(p.SetItem().Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, at);
        Assert.Contains("unhashable", e.Message);
    }

    [Fact]
    public void CorruptPickle_BINUNICODE_with_invalid_UTF8()
    {
        var e = FailsPickle(P.Start().Op(P.BINUNICODE).Raw(2, 0, 0, 0).Raw(0xC3, 0x28).Stop());
        AssertAt(e, PtErrorKind.CorruptPickle, DataPkl, 2);
        Assert.Contains("UTF-8", e.Message);
    }

    // ---- InvalidTensor ------------------------------------------------------------------------------------------

    private static P OneTensor(string storageClass, long numel, long offset, long[] size, long[] stride, out int persid)
    {
        var p = P.Start().Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Mark().Str("storage").Global("torch", storageClass).Str("0").Str("cpu").Int(numel).Tuple();
        persid = p.Position;
        p.BinPersId().Int(offset).IntTuple(size).IntTuple(stride).False().OrderedDict().Tuple();
        return p;
    }

    [Fact]
    public void InvalidTensor_storage_record_shorter_than_declared_numel()
    {
        var p = OneTensor("FloatStorage", 4, 0, [4], [1], out int persid).Reduce().Stop();
        var e = FailsPickle(p, RawData.Of(1f, 2f)); // 8 bytes, pid declares 4 floats = 16 bytes
        AssertAt(e, PtErrorKind.InvalidTensor, "archive/data/0", persid);
        Assert.Contains("8 bytes", e.Message);
        Assert.Contains("16", e.Message);
    }

    [Fact]
    public void InvalidTensor_extent_past_storage()
    {
        var p = OneTensor("FloatStorage", 6, 3, [4], [1], out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), RawData.Of(0f, 1f, 2f, 3f, 4f, 5f));
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
        Assert.Contains("reaches byte 28", e.Message);
        Assert.Contains("24-byte storage '0'", e.Message);
    }

    [Fact]
    public void InvalidTensor_non_contiguous_extent_past_storage()
    {
        // size (2, 3) stride (4, 1): last element is 4 + 2 = 6, storage holds 6 elements (0..5)
        var p = OneTensor("FloatStorage", 6, 0, [2, 3], [4, 1], out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), new byte[24]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
    }

    [Fact]
    public void InvalidTensor_negative_size()
    {
        var p = OneTensor("FloatStorage", 4, 0, [-1], [1], out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), new byte[16]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
        Assert.Contains("negative size -1", e.Message);
    }

    [Fact]
    public void InvalidTensor_negative_stride()
    {
        var p = OneTensor("FloatStorage", 4, 3, [2], [-1], out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), new byte[16]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
        Assert.Contains("negative stride -1", e.Message);
    }

    [Fact]
    public void InvalidTensor_negative_storage_offset()
    {
        var p = OneTensor("FloatStorage", 4, -1, [1], [1], out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), new byte[16]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
    }

    [Theory]
    [InlineData(new long[] { 1L << 40, 1L << 40 }, new long[] { 1, 1 })]           // numel overflows
    [InlineData(new long[] { 3 }, new long[] { 1L << 62 })]                          // (size-1)*stride overflows
    [InlineData(new long[] { 1L << 31, 1L << 31 }, new long[] { 1L << 31, 1 })]    // extent * element size overflows
    public void InvalidTensor_shape_times_stride_overflow(long[] size, long[] stride)
    {
        var p = OneTensor("FloatStorage", 4, 0, size, stride, out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), new byte[16]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
    }

    [Fact]
    public void InvalidTensor_size_and_stride_rank_differ()
    {
        var p = OneTensor("FloatStorage", 4, 0, [2, 2], [1], out _);
        int reduce = p.Position;
        var e = FailsPickle(p.Reduce().Stop(), new byte[16]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, reduce);
        Assert.Contains("2 sizes but 1 strides", e.Message);
    }

    [Fact]
    public void InvalidTensor_key_used_with_two_dtypes()
    {
        var p = P.Start().EmptyList()
            .Tensor("FloatStorage", "0", 2, 0, [2], [1]).Append()
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "LongStorage").Str("0").Str("cpu").Int(1).Tuple();
        int persid = p.Position;
        p.BinPersId().Int(0).IntTuple(1).IntTuple(1).False().OrderedDict().Tuple().Reduce().Append().Stop();
        var e = FailsPickle(p, new byte[8]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, persid);
        Assert.Contains("float32", e.Message);
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void InvalidTensor_untyped_storage_viewed_with_two_dtypes()
    {
        // torch.save refuses to write one storage as two dtypes; with UntypedStorage pids (rebuild_tensor_v3) the
        // dtype comes from the tensor, so a reader must compare the tensors' dtypes.
        var p = P.Start().EmptyList()
            .TensorV3("float32", "0", 8, 0, [2], [1]).Append()
            .TensorV3("int16", "0", 8, 0, [4], [1]);
        int reduceEnd = p.Position;
        p.Append().Stop();
        var e = FailsPickle(p, new byte[8]);
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Equal(DataPkl, e.Record);
        Assert.Equal(reduceEnd - 1, e.Offset); // the REDUCE of the second tensor
    }

    [Fact]
    public void InvalidTensor_storage_size_overflow()
    {
        var p = OneTensor("DoubleStorage", long.MaxValue / 2, 0, [1], [1], out int persid).Reduce().Stop();
        var e = FailsPickle(p, new byte[8]);
        AssertAt(e, PtErrorKind.InvalidTensor, DataPkl, persid);
    }

    // ---- LimitExceeded ------------------------------------------------------------------------------------------

    [Fact]
    public void LimitExceeded_mark_depth()
    {
        var options = new PtLoadOptions { PickleLimits = new PickleLimits { MaxMarkDepth = 10 } };
        var p = P.Start();
        for (int i = 0; i < 10; i++) p.Mark();
        int at = p.Position;
        p.Mark();
        for (int i = 0; i < 11; i++) p.Tuple();
        var bytes = ZipBuilder.MakePt(p.Stop().ToArray());
        var e = Fails(bytes, options);
        AssertAt(e, PtErrorKind.LimitExceeded, DataPkl, at);
        Assert.Contains("10", e.Message);
        using var ok = PtFile.Load(bytes, new PtLoadOptions { PickleLimits = new PickleLimits { MaxMarkDepth = 11 } });
        Assert.IsType<PyTuple>(ok.Root);
    }

    [Fact]
    public void LimitExceeded_text_INT_with_5000_digits()
    {
        var p = new P();
        int at = p.Position;
        p.IntText("1" + new string('0', 4999)).Stop();
        var e = FailsPickle(p);
        AssertAt(e, PtErrorKind.LimitExceeded, DataPkl, at);
        Assert.Contains("4300", e.Message);
    }

    [Fact]
    public void LimitExceeded_text_INT_digit_limit_is_exact()
    {
        // CPython's int_max_str_digits (4300) counts digits, not the sign
        using (var ok = PtFile.Load(ZipBuilder.MakePt(new P().IntText("-" + new string('9', 4300)).Stop().ToArray())))
            Assert.IsType<System.Numerics.BigInteger>(ok.Root);
        var e = FailsPickle(new P().IntText("1" + new string('0', 4300)).Stop());
        AssertAt(e, PtErrorKind.LimitExceeded, DataPkl, 0);
    }

    [Fact]
    public void LimitExceeded_stack_and_memo_sizes()
    {
        var stack = new PtLoadOptions { PickleLimits = new PickleLimits { MaxStackSize = 3 } };
        var p = P.Start().None().None().None();
        int at = p.Position;
        var e = Fails(ZipBuilder.MakePt(p.None().Stop().ToArray()), stack);
        AssertAt(e, PtErrorKind.LimitExceeded, DataPkl, at);

        var memo = new PtLoadOptions { PickleLimits = new PickleLimits { MaxMemoEntries = 2 } };
        var q = P.Start().None().BinPut(0).BinPut(1).BinPut(1); // re-putting an existing index is fine
        int at2 = q.Position;
        var e2 = Fails(ZipBuilder.MakePt(q.BinPut(2).Stop().ToArray()), memo);
        AssertAt(e2, PtErrorKind.LimitExceeded, DataPkl, at2);
    }

    [Fact]
    public void LimitExceeded_deflate_bomb_declaration()
    {
        var zip = ZipBuilder.Torch(P.Start().None().Stop().ToArray(), []).DeflateMember(DataPkl);
        zip.DeclaredSizes[DataPkl] = 200_000_000;
        var e = Fails(zip.Build());
        Assert.Equal(PtErrorKind.LimitExceeded, e.Kind);
        Assert.Equal(DataPkl, e.Record);
        Assert.Contains("200000000", e.Message);
    }

    // ---- ForbiddenGlobal (strict mode) --------------------------------------------------------------------------

    private static readonly PtLoadOptions Strict = new() { Strict = true };

    [Theory]
    [InlineData("os", "system", "os.system")]
    [InlineData("builtins", "eval", "builtins.eval")]
    [InlineData("__builtin__", "eval", "builtins.eval")]
    [InlineData("__main__", "Net", "__main__.Net")]
    [InlineData("posix", "system", "posix.system")]
    [InlineData("subprocess", "Popen", "subprocess.Popen")]
    public void ForbiddenGlobal_strict_mode_names_the_global(string module, string name, string full)
    {
        var p = P.Start().EmptyDict().Str("x");
        int at = p.Position;
        p.Global(module, name).Str("echo hi").Tuple1().Reduce().SetItem().Stop();
        var bytes = ZipBuilder.MakePt(p.ToArray());
        var e = Assert.Throws<PickleSecurityException>(() => PtFile.Load(bytes, Strict));
        AssertAt(e, PtErrorKind.ForbiddenGlobal, DataPkl, at);
        Assert.Equal(full, e.Global);
        Assert.Contains($"'{full}'", e.Message);

        using var lax = PtFile.Load(bytes); // non-strict: an inert object, nothing executed
        Assert.IsType<PyObject>(Assert.IsType<PyDict>(lax.Root)["x"]);
    }

    [Fact]
    public void ForbiddenGlobal_via_STACK_GLOBAL_and_INST()
    {
        var p1 = P.Start(4).ShortBinUnicode("os").ShortBinUnicode("system");
        int at1 = p1.Position;
        var e1 = Assert.Throws<PickleSecurityException>(() => PtFile.Load(ZipBuilder.MakePt(p1.StackGlobal().Stop().ToArray()), Strict));
        AssertAt(e1, PtErrorKind.ForbiddenGlobal, DataPkl, at1);
        Assert.Equal("os.system", e1.Global);

        var p2 = new P().Mark().Str("ls");
        int at2 = p2.Position;
        var e2 = Assert.Throws<PickleSecurityException>(() => PtFile.Load(ZipBuilder.MakePt(p2.Inst("subprocess", "call").Stop().ToArray()), Strict));
        AssertAt(e2, PtErrorKind.ForbiddenGlobal, DataPkl, at2);
        Assert.Equal("subprocess.call", e2.Global);
    }

    [Fact]
    public void AllowGlobals_admits_a_user_class()
    {
        var bytes = ZipBuilder.MakePt(P.Start().Global("__main__", "Net").EmptyTuple().NewObj()
            .EmptyDict().Str("depth").BinInt1(3).SetItem().Build().Stop().ToArray());
        Assert.Throws<PickleSecurityException>(() => PtFile.Load(bytes, new PtLoadOptions { Strict = true }));
        var options = new PtLoadOptions { Strict = true, AllowGlobals = { "__main__.Net" } };
        using var f = PtFile.Load(bytes, options);
        var o = Assert.IsType<PyObject>(f.Root);
        Assert.Equal(3L, o.Attributes!["depth"]);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("sys", "exit")]
    [InlineData("posix", "system")]
    [InlineData("nt", "system")]
    public void AllowGlobals_never_admits_blocked_modules(string module, string name)
    {
        var options = new PtLoadOptions { Strict = true, AllowGlobals = { module + "." + name } };
        var bytes = ZipBuilder.MakePt(P.Start().Global(module, name).Str("x").Tuple1().Reduce().Stop().ToArray());
        var e = Assert.Throws<PickleSecurityException>(() => PtFile.Load(bytes, options));
        Assert.Equal(module + "." + name, e.Global);
        AssertAt(e, PtErrorKind.ForbiddenGlobal, DataPkl, 2);
    }

    [Fact]
    public void Strict_mode_accepts_a_plain_state_dict()
    {
        // what torch.save(model.state_dict()) writes: OrderedDict of _rebuild_tensor_v2 tensors plus _metadata
        var p = P.Start().OrderedDict()
            .Str("fc.weight").Tensor(s => s.StoragePid("FloatStorage", "0", 6), 0, [2, 3], [3, 1]).SetItem()
            .Str("fc.bias").Tensor(s => s.StoragePid("FloatStorage", "1", 2), 0, [2], [1]).SetItem()
            .Str("bn.num_batches_tracked").Tensor(s => s.StoragePid("LongStorage", "2", 1), 0, [], []).SetItem()
            .EmptyDict().Str("_metadata").OrderedDict().Str("").EmptyDict().Str("version").BinInt1(1).SetItem().SetItem().SetItem().Build()
            .Stop();
        var bytes = ZipBuilder.MakePt(p.ToArray(), RawData.Of(1f, 2f, 3f, 4f, 5f, 6f), RawData.Of(0.5f, -0.5f), RawData.Of(42L));
        using var f = PtFile.Load(bytes, new PtLoadOptions { Strict = true });
        Assert.Equal(PtKind.StateDict, f.Kind);
        var d = Assert.IsType<PyDict>(f.Root);
        Assert.Equal(new object?[] { "fc.weight", "fc.bias", "bn.num_batches_tracked" }, d.Keys.ToArray());
        Assert.Equal(new[] { 0.5f, -0.5f }, Assert.IsType<PtTensor>(d["fc.bias"]).ToArray<float>());
        Assert.Equal(42L, Assert.IsType<PtTensor>(d["bn.num_batches_tracked"]).AsSpan<long>()[0]);
        Assert.Equal(3, f.Storages.Count);
    }

    // ---- Unsupported --------------------------------------------------------------------------------------------

    [Fact]
    public void Unsupported_PYTORCH1_container()
    {
        var bytes = new byte[64];
        "PYTORCH1"u8.CopyTo(bytes);
        bytes[8] = 2;
        var e = Fails(bytes);
        Assert.Equal(PtErrorKind.Unsupported, e.Kind);
        Assert.Equal(0, e.Offset);
        Assert.Contains("PYTORCH1", e.Message);
    }

    [Fact]
    public void Unsupported_pickle_protocol_6()
    {
        var e = FailsPickle(new P().Proto(6).None().Stop());
        AssertAt(e, PtErrorKind.Unsupported, DataPkl, 0);
        Assert.Contains("protocol 6", e.Message);
    }

    [Fact]
    public void Unsupported_unknown_storage_class()
    {
        var p = OneTensor("FancyStorage", 1, 0, [1], [1], out int persid).Reduce().Stop();
        var e = FailsPickle(p, new byte[4]);
        AssertAt(e, PtErrorKind.Unsupported, DataPkl, persid);
        Assert.Contains("torch.FancyStorage", e.Message);
    }

    // ---- UnknownFormat ------------------------------------------------------------------------------------------

    [Fact]
    public void UnknownFormat_empty_file()
    {
        var e = Fails([]);
        Assert.Equal(PtErrorKind.UnknownFormat, e.Kind);
        Assert.Equal(0, e.Offset);
        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void UnknownFormat_random_bytes(int length)
    {
        var rng = new Random(1234 + length);
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        bytes[0] = 0x13; // not 'P' (zip), not 0x80 (pickle)
        var e = Fails(bytes);
        Assert.Equal(PtErrorKind.UnknownFormat, e.Kind);
        Assert.Equal(0, e.Offset);
        Assert.Contains("at byte 0", e.Message);
    }

    [Fact]
    public void UnknownFormat_safetensors_header()
    {
        var header = Encoding.ASCII.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var e = Fails(bytes);
        Assert.Equal(PtErrorKind.UnknownFormat, e.Kind);
        Assert.Contains("safetensors", e.Message);
    }

    [Fact]
    public void UnknownFormat_plain_pickle_is_not_a_pt_file()
    {
        var e = Fails(P.Start().BinInt1(1).Stop().ToArray());
        Assert.Equal(PtErrorKind.UnknownFormat, e.Kind);
        Assert.Contains("magic number", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Every_error_kind_has_a_test_here()
    {
        var tested = typeof(ErrorKindTests).GetMethods()
            .Where(m => m.GetCustomAttributes(typeof(FactAttribute), true).Length > 0)
            .Select(m => m.Name.Split('_')[0])
            .ToHashSet();
        foreach (var kind in Enum.GetNames<PtErrorKind>())
            Assert.Contains(kind, tested);
    }
}
