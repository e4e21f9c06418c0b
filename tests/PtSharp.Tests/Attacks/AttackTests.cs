using System.Diagnostics;
using System.Numerics;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Attacks;

/// <summary>
/// Resource attacks against the reader and the scanner. Each test asserts what the attack would exhaust —
/// allocation (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), time or depth — and not only that it fails
/// with a <see cref="PtFormatException"/>.
/// </summary>
public sealed class AttackTests
{
    private static byte[] Pt(PickleBuilder p, params byte[][] records) => ZipBuilder.MakePt(p.ToArray(), records);

    /// <summary>Runs <paramref name="action"/> and returns the bytes it allocated on this thread and the time it took.</summary>
    private static (long Bytes, TimeSpan Time, Exception? Error) Measure(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        Exception? error = null;
        try { action(); }
        catch (Exception e) { error = e; }
        return (GC.GetAllocatedBytesForCurrentThread() - before, sw.Elapsed, error);
    }

    /// <summary>Loads and touches everything (tensors, state dict); returns the exception, which must be a PtFormatException.</summary>
    private static (long Bytes, TimeSpan Time, PtFormatException? Error) Load(byte[] file)
    {
        var (bytes, time, error) = Measure(() =>
        {
            using var f = PtFile.Load(file);
            _ = f.Tensors.Count;
            _ = f.StateDict.Count;
            _ = f.ParameterCount;
        });
        Assert.True(error is null or PtFormatException, $"{error?.GetType().Name}: {error?.Message}");
        return (bytes, time, (PtFormatException?)error);
    }

    /// <summary>The scanner never throws and stays within a small multiple of the input.</summary>
    private static ScanReport ScanBounded(byte[] file)
    {
        ScanReport? r = null;
        var (bytes, time, error) = Measure(() => r = PtScanner.ScanBytes(file, "attack"));
        Assert.Null(error);
        Assert.True(bytes < 32L * file.Length + (4 << 20), $"scan allocated {bytes} bytes for {file.Length} input bytes");
        Assert.True(time < TimeSpan.FromSeconds(10), $"scan took {time}");
        return r!;
    }

    [Theory]
    [InlineData(PickleBuilder.BINBYTES8)]
    [InlineData(PickleBuilder.BINUNICODE8)]
    [InlineData(PickleBuilder.BYTEARRAY8)]
    public void Claimed_length_is_checked_before_anything_is_allocated(byte opcode)
    {
        var p = PickleBuilder.Start(4).Op(opcode).Raw(BitConverter.GetBytes((ulong)1 << 40)).Stop();
        var file = Pt(p);
        var (bytes, _, error) = Load(file);
        Assert.Equal(PtErrorKind.Truncated, error!.Kind);
        Assert.True(bytes < 256 << 10, $"allocated {bytes}");
        ScanBounded(file);
    }

    [Fact]
    public void Long4_claiming_two_gigabytes_allocates_nothing()
    {
        var p = PickleBuilder.Start(2).Op(PickleBuilder.LONG4).Raw(BitConverter.GetBytes(int.MaxValue)).Stop();
        var (bytes, _, error) = Load(Pt(p));
        Assert.Equal(PtErrorKind.Truncated, error!.Kind);
        Assert.True(bytes < 256 << 10, $"allocated {bytes}");
    }

    [Fact]
    public void Nesting_200000_deep_uses_no_native_stack_and_the_walk_stops_at_its_depth_limit()
    {
        const int depth = 200_000;
        var p = PickleBuilder.Start(2);
        for (int i = 0; i < depth; i++) p.EmptyList();
        for (int i = 0; i < depth - 1; i++) p.Append();
        var file = Pt(p.Stop());
        var (bytes, time, error) = Load(file);
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind); // the tree walk refuses more than MaxWalkDepth levels
        Assert.Contains("1000 levels", error.Message);
        // Each 1-byte EMPTY_LIST is a list object (as in CPython, ~56 bytes): 128 bytes per input byte at most.
        Assert.True(bytes < 128L * file.Length, $"allocated {bytes} for {file.Length}");
        Assert.True(time < TimeSpan.FromSeconds(10));
        ScanBounded(file);
    }

    [Fact]
    public void Nested_marks_beyond_the_limit_are_refused()
    {
        var p = PickleBuilder.Start(2);
        for (int i = 0; i < 100_001; i++) p.Mark();
        var (_, _, error) = Load(Pt(p.Stop()));
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind);
    }

    [Fact]
    public void Stack_limit_is_enforced()
    {
        var p = PickleBuilder.Start(2);
        for (int i = 0; i < 1000; i++) p.None();
        var options = new PtLoadOptions { PickleLimits = new PtSharp.Pickle.PickleLimits { MaxStackSize = 500 } };
        var ex = Assert.Throws<PtFormatException>(() => PtFile.Load(Pt(p.Stop()), options));
        Assert.Equal(PtErrorKind.LimitExceeded, ex.Kind);
    }

    [Fact]
    public void Billion_laughs_through_the_memo_costs_what_the_pickle_costs()
    {
        // 40 levels of lists holding the previous level 10 times: 10^40 paths, 400 references.
        var p = PickleBuilder.Start(2).EmptyList().BinPut(0);
        for (int level = 1; level <= 40; level++)
        {
            p.EmptyList().Mark();
            for (int i = 0; i < 10; i++) p.BinGet((byte)(level - 1));
            p.Appends().BinPut((byte)level);
        }
        var file = Pt(p.Stop());
        var (bytes, time, error) = Load(file);
        Assert.True(error is null || error.Kind == PtErrorKind.LimitExceeded);
        Assert.True(bytes < 4 << 20, $"allocated {bytes}");
        Assert.True(time < TimeSpan.FromSeconds(5), $"took {time}");
        ScanBounded(file);
    }

    [Fact]
    public void Dict_key_of_memo_shared_tuples_cannot_explode_hashing()
    {
        // t_k = (t_{k-1},) * 8 for 30 levels: hashing all of it would visit 8^30 tuples.
        var p = PickleBuilder.Start(2).BinInt1(1).Tuple1().BinPut(0);
        for (int level = 1; level <= 30; level++)
        {
            p.Mark();
            for (int i = 0; i < 8; i++) p.BinGet((byte)(level - 1));
            p.Tuple().BinPut((byte)level);
        }
        p.Pop().EmptyDict().BinGet(30).None().SetItem().Stop();
        var (_, time, error) = Load(Pt(p));
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind);
        Assert.True(time < TimeSpan.FromSeconds(2), $"took {time}");
    }

    [Fact]
    public void Repeated_copies_of_one_big_list_are_bounded_by_the_input()
    {
        // list(big) a thousand times: each copy is 5 bytes of pickle but 100,000 values.
        var p = PickleBuilder.Start(2).EmptyList().BinPut(0).Mark();
        for (int i = 0; i < 100_000; i++) p.None();
        p.Appends().Pop();
        for (int i = 0; i < 1000; i++) p.Global("builtins", "list").BinGet(0).Tuple1().Reduce().Pop();
        var file = Pt(p.None().Stop());
        var (bytes, time, error) = Load(file);
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind);
        Assert.True(bytes < 64L * file.Length + (1 << 20), $"allocated {bytes} for {file.Length}");
        Assert.True(time < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Repeated_latin1_bytes_from_one_big_string_are_bounded_by_the_input()
    {
        var p = PickleBuilder.Start(2).Str(new string('x', 1 << 20)).BinPut(0).Pop().Str("latin1").BinPut(1).Pop();
        for (int i = 0; i < 2000; i++) p.Global("_codecs", "encode").BinGet(0).BinGet(1).Tuple2().Reduce().Pop();
        var file = Pt(p.None().Stop());
        var (bytes, _, error) = Load(file);
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind);
        Assert.True(bytes < 64L * file.Length + (1 << 20), $"allocated {bytes} for {file.Length}");
    }

    [Fact]
    public void Cyclic_object_graphs_load_and_walk_once()
    {
        // l = []; l.append(l); d = {'l': l}; d['d'] = d
        var p = PickleBuilder.Start(2).EmptyDict().BinPut(1).Str("l").EmptyList().BinPut(0).BinGet(0).Append().SetItem()
            .Str("d").BinGet(1).SetItem().Stop();
        var (_, time, error) = Load(Pt(p));
        Assert.Null(error);
        Assert.True(time < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Huge_memo_indices_allocate_nothing()
    {
        var p = PickleBuilder.Start(2).None().LongBinPut(uint.MaxValue).LongBinPut(uint.MaxValue - 1).Pop().LongBinGet(uint.MaxValue).Stop();
        var (bytes, _, error) = Load(Pt(p));
        Assert.Null(error);
        Assert.True(bytes < 256 << 10, $"allocated {bytes}");
    }

    [Fact]
    public void Declared_zip_bomb_is_refused_before_inflating()
    {
        var payload = PickleBuilder.Start(2).EmptyDict().Stop().ToArray();
        var z = ZipBuilder.Torch(payload, []).DeflateMember("archive/data.pkl");
        z.DeclaredSizes["archive/data.pkl"] = 0xFFFF0000;
        var file = z.Build();
        var (bytes, _, error) = Load(file);
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind);
        Assert.True(bytes < 1 << 20, $"allocated {bytes}");
        Assert.Contains(ScanBounded(file).Findings, f => f.Kind == ScanFindingKind.ZipBomb);
    }

    [Fact]
    public void Inflated_size_differing_from_the_declared_one_is_refused()
    {
        var payload = PickleBuilder.Start(2).EmptyDict().Stop().ToArray();
        var z = ZipBuilder.Torch(payload, []).DeflateMember("archive/data.pkl");
        z.DeclaredSizes["archive/data.pkl"] = 3;
        var (_, _, error) = Load(z.Build());
        Assert.Equal(PtErrorKind.CorruptContainer, error!.Kind);
    }

    [Fact]
    public void Overlapping_members_are_refused()
    {
        var file = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "malicious", "zip_overlap.pt"));
        var (_, _, error) = Load(file);
        Assert.Equal(PtErrorKind.CorruptContainer, error!.Kind);
        Assert.Contains("overlap", error.Message);
    }

    [Theory]
    [InlineData(new long[] { long.MaxValue / 2, 4 }, new long[] { 4, 1 })]                 // numel overflows
    [InlineData(new long[] { 1L << 62, 1 }, new long[] { 0, 0 })]                         // zero strides: numel fits, bytes do not
    [InlineData(new long[] { 4 }, new long[] { long.MaxValue })]                          // extent overflows
    [InlineData(new long[] { -1 }, new long[] { 1 })]                                     // negative size
    [InlineData(new long[] { 2 }, new long[] { -1 })]                                     // negative stride
    [InlineData(new long[] { 5 }, new long[] { 1 })]                                      // one element past the storage
    public void Hostile_tensor_geometry_is_refused(long[] size, long[] stride)
    {
        var p = PickleBuilder.Start(2).Tensor("FloatStorage", "0", 4, 0, size, stride).Stop();
        var (_, _, error) = Load(Pt(p, RawData.Of(1f, 2f, 3f, 4f)));
        Assert.Equal(PtErrorKind.InvalidTensor, error!.Kind);
    }

    [Fact]
    public void Packed_dtypes_cannot_be_read_as_bytes_past_their_storage()
    {
        // 36 quint4x2 values fill 18 bytes; reading them as 36 bytes would run 18 bytes past the storage.
        var p = PickleBuilder.Start(2).Tensor("QUInt4x2Storage", "0", 18, 0, [36], [1]).Stop();
        using var f = PtFile.Load(Pt(p, new byte[18]));
        var t = Assert.Single(f.Tensors).Tensor;
        Assert.Throws<InvalidOperationException>(() => t.ToArray<byte>());
        Assert.Throws<InvalidOperationException>(() => t.AsSpan<byte>().Length);
        Assert.Throws<InvalidOperationException>(() => t.AsTensorSpan<byte>().FlattenedLength);
        Assert.Equal(18, t.Storage!.Bytes.Length);
    }

    [Fact]
    public void Storage_larger_than_its_record_is_refused()
    {
        var p = PickleBuilder.Start(2).Tensor("DoubleStorage", "0", 1L << 40, 0, [4], [1]).Stop();
        var (bytes, _, error) = Load(Pt(p, RawData.Of(1.0, 2.0)));
        Assert.Equal(PtErrorKind.InvalidTensor, error!.Kind);
        Assert.True(bytes < 1 << 20);
    }

    [Fact]
    public void Storage_element_count_overflowing_bytes_is_refused()
    {
        var p = PickleBuilder.Start(2).Tensor(b => b.StoragePid("DoubleStorage", "0", long.MaxValue / 2), 0, [1], [1]).Stop();
        var (_, _, error) = Load(Pt(p, RawData.Of(1.0)));
        Assert.Equal(PtErrorKind.InvalidTensor, error!.Kind);
    }

    [Fact]
    public void Integer_text_with_a_million_digits_is_refused_without_parsing()
    {
        var p = new PickleBuilder().IntText(new string('9', 1_000_000)).Stop();
        var (_, time, error) = Load(Pt(p));
        Assert.Equal(PtErrorKind.LimitExceeded, error!.Kind);
        Assert.True(time < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Long1_big_integers_stay_proportional()
    {
        var p = PickleBuilder.Start(2).Long1(BigInteger.Pow(2, 2000)).Stop();
        var (_, _, error) = Load(Pt(p));
        Assert.Null(error);
    }

    [Fact]
    public void Scanner_is_linear_on_a_megabyte_of_memo_traffic()
    {
        var p = PickleBuilder.Start(4).ShortBinUnicode("os").Memoize().ShortBinUnicode("system").Memoize();
        for (int i = 0; i < 200_000; i++) p.BinGet(0).BinGet(1).StackGlobal().Pop();
        var r = ScanBounded(p.Stop().ToArray());
        Assert.Equal(200_000, Assert.Single(r.Globals).Count);
        Assert.Single(r.Findings);
    }
}
