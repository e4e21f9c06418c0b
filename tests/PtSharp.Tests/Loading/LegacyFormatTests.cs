using System.Buffers.Binary;
using System.Formats.Tar;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

using P = PtSharp.Tests.Support.PickleBuilder;

namespace PtSharp.Tests.Loading;

/// <summary>
/// Hand-built files of the two pre-zip formats, following pt-format.md 4.1 (legacy stream: magic number pickle,
/// protocol version 1001, sys_info, main pickle with 6-tuple storage pids, sorted key list, count-prefixed blobs)
/// and 4.2 (tar with <c>storages</c>, <c>tensors</c>, <c>pickle</c> members), checked against what
/// torch/serialization.py <c>_legacy_load</c> / <c>legacy_load</c> would produce.
/// </summary>
public sealed class LegacyFormatTests
{
    // ---- legacy stream builders ---------------------------------------------------------------------------------

    /// <summary>pickle of MAGIC_NUMBER = 0x1950a86a20f9469cfc6c as protocol 2 writes it (LONG1, 10 bytes).</summary>
    private static readonly byte[] Magic = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E];

    private static byte[] ProtocolVersion(int v = 1001) => P.Start().Int(v).Stop().ToArray();

    private static byte[] SysInfo(bool littleEndian = true)
    {
        var p = P.Start().EmptyDict().Mark()
            .Str("protocol_version").Int(1001)
            .Str("little_endian");
        if (littleEndian) p.True(); else p.False();
        p.Str("type_sizes").EmptyDict().Mark().Str("short").Int(2).Str("int").Int(4).Str("long").Int(8).SetItems()
            .SetItems().Stop();
        return p.ToArray();
    }

    /// <summary><c>('storage', torch.&lt;cls&gt;, key, 'cpu', numel, view_metadata)</c> + BINPERSID.</summary>
    private static Action<P> Pid(string cls, string key, long numel, (string Key, long Offset, long Size)? view = null) => p =>
    {
        p.Mark().Str("storage").Global("torch", cls).Str(key).Str("cpu").Int(numel);
        if (view is { } v) p.Mark().Str(v.Key).Int(v.Offset).Int(v.Size).Tuple(); else p.None();
        p.Tuple().BinPersId();
    };

    private static byte[] KeyList(params string[] keys)
    {
        var p = P.Start().EmptyList();
        if (keys.Length > 0) { p.Mark(); foreach (var k in keys) p.Str(k); p.Appends(); }
        return p.Stop().ToArray();
    }

    private static byte[] Blob(long count, byte[] data)
    {
        var b = new byte[8 + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(b, count);
        data.CopyTo(b, 8);
        return b;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(x => x).ToArray();

    private static readonly byte[] SixFloats = RawData.Of(0f, 1f, 2f, 3f, 4f, 5f);

    /// <summary>
    /// A legacy stream with one float storage <c>"140"</c> (6 floats 0..5) seen three ways: the whole storage as a
    /// 2x3 tensor, a transposed view, and through a storage view <c>("141", offset 2, size 3)</c>; plus an int64
    /// storage <c>"9"</c>.
    /// </summary>
    private static byte[] StandardStream(bool littleEndian = true, byte[]? blob140 = null, string[]? keys = null)
    {
        var main = P.Start().EmptyDict()
            .Str("w").Tensor(Pid("FloatStorage", "140", 6), 0, [2, 3], [3, 1]).SetItem()
            .Str("wt").Tensor(Pid("FloatStorage", "140", 6), 0, [3, 2], [1, 3]).SetItem()
            .Str("view").Tensor(Pid("FloatStorage", "140", 6, ("141", 2, 3)), 1, [2], [1]).SetItem()
            .Str("step").Tensor(Pid("LongStorage", "9", 1), 0, [], []).SetItem()
            .Stop().ToArray();
        return Concat(Magic, ProtocolVersion(), SysInfo(littleEndian), main,
            KeyList(keys ?? ["140", "9"]),
            blob140 ?? Blob(6, SixFloats),
            Blob(1, RawData.Of(1234567890123L)));
    }

    // ---- legacy stream ------------------------------------------------------------------------------------------

    [Fact]
    public void Magic_pickle_bytes_match_the_documented_constant()
    {
        var p = P.Start().Long1(System.Numerics.BigInteger.Parse("119547037146038801333356")).Stop().ToArray();
        Assert.Equal(Magic, p);
        Assert.Equal(new byte[] { 0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E }, ProtocolVersion());
    }

    [Fact]
    public void Legacy_stream_values_views_and_shared_storage()
    {
        using var f = PtFile.Load(StandardStream());
        Assert.Equal(PtFormat.Legacy, f.Format);
        Assert.Equal("1001", f.FormatVersion);
        Assert.Equal("little", f.ByteOrder);
        Assert.Null(f.ArchiveName);
        var d = Assert.IsType<PyDict>(f.Root);
        var w = Assert.IsType<PtTensor>(d["w"]);
        var wt = Assert.IsType<PtTensor>(d["wt"]);
        var view = Assert.IsType<PtTensor>(d["view"]);
        var step = Assert.IsType<PtTensor>(d["step"]);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, w.AsSpan<float>().ToArray());
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, wt.ToArray<float>());
        // view storage starts at element 2 of the root; the tensor adds its own offset 1
        Assert.Equal(3, view.StorageOffset);
        Assert.Equal(new[] { 3f, 4f }, view.ToArray<float>());
        Assert.Same(w.Storage, wt.Storage);
        Assert.Same(w.Storage, view.Storage);
        Assert.Equal(1234567890123L, step.ToArray<long>()[0]);
        Assert.Equal(DType.Int64, step.DType);
        Assert.Equal(2, f.Storages.Count);
        Assert.Equal("storage 140", w.Storage!.Record);
        Assert.Equal(PtKind.StateDict, f.Kind);
    }

    [Fact]
    public void Legacy_stream_blobs_are_little_endian_even_from_a_big_endian_writer()
    {
        // torch/csrc/serialization.cpp writeFileRaw converts the count and the data to little-endian on big-endian
        // hosts ("convert big endian cpu to little endian storage"), and readFileRaw converts back. sys_info's
        // little_endian=False therefore says nothing about the blob bytes.
        using var f = PtFile.Load(StandardStream(littleEndian: false));
        var d = Assert.IsType<PyDict>(f.Root);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, Assert.IsType<PtTensor>(d["w"]).ToArray<float>());
        Assert.Equal(1234567890123L, Assert.IsType<PtTensor>(d["step"]).ToArray<long>()[0]);
    }

    [Fact]
    public void Legacy_stream_blob_count_mismatch_is_an_error()
    {
        var bytes = StandardStream(blob140: Blob(5, SixFloats));
        int at = IndexOf(bytes, Blob(5, SixFloats));
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Equal("legacy stream", e.Record);
        Assert.Equal(at, e.Offset);
        Assert.Contains("'140'", e.Message);
        Assert.Contains("5 elements", e.Message);
    }

    [Fact]
    public void Legacy_stream_truncated_blob_is_an_error()
    {
        var full = StandardStream();
        // drop the int64 blob and half of the float blob
        var bytes = full[..^(16 + 12)];
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.Truncated, e.Kind);
        Assert.Equal("legacy stream", e.Record);
        Assert.Equal(bytes.Length - 12, e.Offset); // where the 24 data bytes of storage '140' should start
        Assert.Contains("'140'", e.Message);
    }

    [Fact]
    public void Legacy_stream_key_list_naming_an_unknown_storage_is_an_error()
    {
        var bytes = StandardStream(keys: ["140", "9", "777"]);
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.CorruptContainer, e.Kind);
        Assert.Contains("'777'", e.Message);
        Assert.Equal("legacy stream", e.Record);
    }

    [Fact]
    public void Legacy_stream_key_list_missing_a_used_storage_is_an_error()
    {
        var bytes = Concat(StandardStream(keys: ["140"])[..^16]); // key '9' not listed, its blob dropped
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.MissingRecord, e.Kind);
        Assert.Contains("'9'", e.Message);
    }

    [Fact]
    public void Legacy_stream_wrong_protocol_version_is_Unsupported()
    {
        var bytes = Concat(Magic, ProtocolVersion(1000), SysInfo(), P.Start().None().Stop().ToArray(), KeyList());
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.Unsupported, e.Kind);
        Assert.Contains("1000", e.Message);
        Assert.InRange(e.Offset!.Value, Magic.Length, Magic.Length + 6); // the version pickle's bytes
    }

    [Fact]
    public void Legacy_stream_view_outside_its_root_storage_is_an_error()
    {
        var main = P.Start().Tensor(Pid("FloatStorage", "140", 6, ("141", 4, 3)), 0, [1], [1]).Stop().ToArray();
        var bytes = Concat(Magic, ProtocolVersion(), SysInfo(), main, KeyList("140"), Blob(6, SixFloats));
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Contains("'140'", e.Message);
        Assert.NotNull(e.Offset);
    }

    [Fact]
    public void Legacy_stream_view_offset_overflow_is_rejected()
    {
        // view offset 2^62 floats: offset*4 wraps to 0 in 64-bit arithmetic, so an unchecked bound check passes
        var main = P.Start().Tensor(Pid("FloatStorage", "140", 6, ("141", 1L << 62, 1)), 0, [0], [1]).Stop().ToArray();
        var bytes = Concat(Magic, ProtocolVersion(), SysInfo(), main, KeyList("140"), Blob(6, SixFloats));
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
    }

    [Fact]
    public void Legacy_stream_errors_in_the_main_pickle_name_the_legacy_stream_and_a_file_offset()
    {
        // a tensor reaching past its storage: the error must not claim a 'data.pkl' record this format lacks
        var head = Concat(Magic, ProtocolVersion(), SysInfo());
        var main = P.Start().Tensor(Pid("FloatStorage", "140", 6), 4, [3], [1]);
        int reduce = head.Length + main.Position - 1;
        var bytes = Concat(head, main.Stop().ToArray(), KeyList("140"), Blob(6, SixFloats));
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(bytes));
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Equal(reduce, e.Offset);
        Assert.Equal("legacy stream", e.Record);
    }

    [Fact]
    public void Legacy_stream_module_pid_returns_the_class()
    {
        // full-model saves: ('module', cls, source_file, source)
        var main = P.Start().Mark().Str("module").Global("mymodels", "Net").Str("net.py").Str("class Net: ...").Tuple().BinPersId().Stop().ToArray();
        using var f = PtFile.Load(Concat(Magic, ProtocolVersion(), SysInfo(), main, KeyList()));
        Assert.Equal("mymodels.Net", Assert.IsType<PyGlobal>(f.Root).FullName);
    }

    [Fact]
    public void Legacy_stream_strict_mode_checks_the_main_pickle()
    {
        var main = P.Start().Global("os", "system").Str("x").Tuple1().Reduce().Stop().ToArray();
        var bytes = Concat(Magic, ProtocolVersion(), SysInfo(), main, KeyList());
        var e = Assert.Throws<PickleSecurityException>(() => PtFile.Load(bytes, new PtLoadOptions { Strict = true }));
        Assert.Equal("os.system", e.Global);
        Assert.Equal(Magic.Length + 6 + SysInfo().Length + 2, e.Offset);
    }

    [Fact]
    public void Legacy_stream_with_ustar_text_at_byte_257_is_not_mistaken_for_a_tar()
    {
        var head = Concat(Magic, ProtocolVersion(), SysInfo());
        var main = P.Start().EmptyDict().Str("note");
        // BINUNICODE header is 5 bytes; place the text so that "ustar" starts at file offset 257
        int textStart = head.Length + main.Position + 5;
        int pad = 257 - textStart;
        Assert.True(pad >= 0);
        main.Str(new string('x', pad) + "ustar" + new string('y', 600)).SetItem().Stop(); // > 512 bytes in all
        var bytes = Concat(head, main.ToArray(), KeyList());
        Assert.Equal("ustar"u8.ToArray(), bytes.AsSpan(257, 5).ToArray());
        using var f = PtFile.Load(bytes);
        Assert.Equal(PtFormat.Legacy, f.Format);
        Assert.StartsWith("xx", Assert.IsType<string>(Assert.IsType<PyDict>(f.Root)["note"]));
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    // ---- legacy tar ---------------------------------------------------------------------------------------------

    private static byte[] Tar(params (string Name, byte[] Data)[] members)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in members)
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return ms.ToArray();
    }

    private static byte[] Pickle(Action<P> body)
    {
        var p = P.Start();
        body(p);
        return p.Stop().ToArray();
    }

    private static byte[] TensorHeader(long[] size, long[] stride, long offset)
    {
        var b = new byte[8 + 16 * size.Length + 8];
        BinaryPrimitives.WriteInt32LittleEndian(b, size.Length);
        for (int d = 0; d < size.Length; d++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 + 8 * d), size[d]);
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 + 8 * (size.Length + d)), stride[d]);
        }
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 + 16 * size.Length), offset);
        return b;
    }

    /// <summary>
    /// storages: root 1 (6 floats 0..5), root 2 (one int64), view 3 = root 1 [2, 4);
    /// tensors: 10 = root 1, offset 1, size (2, 2), stride (1, 2); 11 = view 3, size (2,);
    /// pickle: {'a': PERSID '10', 'b': BINPERSID '11', 'cls': BINPERSID (mymod.Net, 'net.py', 'src')}.
    /// </summary>
    private static (string, byte[])[] StandardTarMembers(byte[]? storages = null, byte[]? tensors = null, byte[]? main = null)
    {
        storages ??= Concat(
            Pickle(p => p.Int(2)),
            Pickle(p => p.Int(1).Str("cpu").Global("torch", "FloatStorage").Tuple3()), Blob(6, SixFloats),
            Pickle(p => p.Int(2).Str("cpu").Global("torch", "LongStorage").Tuple3()), Blob(1, RawData.Of(-5L)),
            Pickle(p => p.EmptyList().Mark().Int(3).Int(1).Int(2).Int(2).Tuple().Append()));
        tensors ??= Concat(
            Pickle(p => p.Int(2)),
            Pickle(p => p.Int(10).Int(1).Global("torch", "FloatTensor").Tuple3()), TensorHeader([2, 2], [1, 2], 1),
            Pickle(p => p.Int(11).Int(3).Global("torch", "FloatTensor").Tuple3()), TensorHeader([2], [1], 0));
        main ??= new P().Proto(2).EmptyDict()
            .Str("a").PersIdText("10").SetItem()
            .Str("b").Str("11").BinPersId().SetItem()
            .Str("cls").Global("mymod", "Net").Str("net.py").Str("class Net: pass").Tuple3().BinPersId().SetItem()
            .Stop().ToArray();
        return [("sys_info", SysInfo()), ("storages", storages), ("tensors", tensors), ("pickle", main)];
    }

    [Fact]
    public void Tar_builder_produces_a_ustar_header()
    {
        var bytes = Tar(StandardTarMembers());
        Assert.Equal("ustar"u8.ToArray(), bytes.AsSpan(257, 5).ToArray());
    }

    [Fact]
    public void Legacy_tar_tensors_and_storage_views()
    {
        using var f = PtFile.Load(Tar(StandardTarMembers()));
        Assert.Equal(PtFormat.LegacyTar, f.Format);
        var d = Assert.IsType<PyDict>(f.Root);
        var a = Assert.IsType<PtTensor>(d["a"]);
        var b = Assert.IsType<PtTensor>(d["b"]);
        Assert.Equal(new long[] { 2, 2 }, a.Shape);
        Assert.Equal(new[] { 1f, 3f, 2f, 4f }, a.ToArray<float>());
        Assert.Equal(new[] { 2f, 3f }, b.ToArray<float>());
        // torch's legacy_load slices a storage view out of its root into a storage of its own (the golden
        // handbuilt/legacy_tar.pt, described by torch 2.6, shows the same): b counts its offset from the view.
        Assert.NotSame(a.Storage, b.Storage);
        Assert.Equal(0, b.StorageOffset);
        Assert.Equal(8, b.Storage!.ByteLength);
        Assert.Equal(3, f.Storages.Count);
    }

    [Fact]
    public void Legacy_tar_tuple_persistent_id_returns_its_first_element()
    {
        // torch legacy_load: persistent_load returns saved_id[0] for tuples (container class, source file, source)
        var storages = Concat(
            Pickle(p => p.Int(0)),
            Pickle(p => p.EmptyList()));
        var tensors = Pickle(p => p.Int(0));
        var main = P.Start().Global("mymod", "Net").Str("net.py").Str("class Net: pass").Tuple3().BinPersId().Stop().ToArray();
        using var f = PtFile.Load(Tar(StandardTarMembers(storages, tensors, main)));
        Assert.Equal("mymod.Net", Assert.IsType<PyGlobal>(f.Root).FullName);
    }

    [Fact]
    public void Legacy_tar_missing_member_is_MissingRecord()
    {
        var members = StandardTarMembers().Where(m => m.Item1 != "tensors").ToArray();
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(Tar(members)));
        Assert.Equal(PtErrorKind.MissingRecord, e.Kind);
        Assert.Equal("tensors", e.Record);
        Assert.Contains("'tensors'", e.Message);
    }

    [Fact]
    public void Legacy_tar_truncated_storage_blob_is_an_error()
    {
        var storages = Concat(
            Pickle(p => p.Int(1)),
            Pickle(p => p.Int(1).Str("cpu").Global("torch", "FloatStorage").Tuple3()), Blob(6, RawData.Of(0f, 1f)));
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(Tar(StandardTarMembers(storages))));
        Assert.Equal(PtErrorKind.Truncated, e.Kind);
        Assert.Equal("storages", e.Record);
        Assert.Contains("'1'", e.Message);
    }

    [Fact]
    public void Legacy_tar_tensor_past_its_storage_is_an_error()
    {
        var tensors = Concat(
            Pickle(p => p.Int(1)),
            Pickle(p => p.Int(10).Int(1).Global("torch", "FloatTensor").Tuple3()), TensorHeader([4], [1], 3));
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(Tar(StandardTarMembers(tensors: tensors))));
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Equal("tensors", e.Record);
    }

    [Fact]
    public void Legacy_tar_unknown_persistent_key_is_an_error()
    {
        var main = P.Start().Str("99").BinPersId().Stop().ToArray();
        var e = Assert.Throws<PtFormatException>(() => PtFile.Load(Tar(StandardTarMembers(main: main))));
        Assert.Equal(PtErrorKind.CorruptContainer, e.Kind);
        Assert.Equal("pickle", e.Record);
        Assert.Contains("'99'", e.Message);
        Assert.Equal(9, e.Offset); // PROTO (2) + BINUNICODE '99' (7)
    }

    [Fact]
    public void Legacy_tar_strict_mode_checks_every_embedded_pickle()
    {
        var storages = Concat(
            Pickle(p => p.Int(1)),
            Pickle(p => p.Int(1).Str("cpu").Global("os", "system").Tuple3()), Blob(1, RawData.Of(0f)));
        var e = Assert.Throws<PickleSecurityException>(() =>
            PtFile.Load(Tar(StandardTarMembers(storages)), new PtLoadOptions { Strict = true }));
        Assert.Equal("os.system", e.Global);
        Assert.Equal("storages", e.Record);
    }
}
