using System.Buffers.Binary;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>Containers are recognised by content and every pickle in them is scanned.</summary>
public sealed class ContainerScanTests
{
    private static byte[] Evil(string module = "os", string name = "system") =>
        PickleBuilder.Start(2).Global(module, name).Str("id").Tuple1().Reduce().Stop().ToArray();

    private static byte[] StateDictPickle() =>
        PickleBuilder.Start(2).EmptyDict().Str("w").Tensor("FloatStorage", "0", 4, 0, [4], [1]).SetItem().Stop().ToArray();

    private static byte[] Floats() => RawData.Of(1f, 2f, 3f, 4f);

    private static ScanReport Scan(byte[] bytes, string name = "x.bin") => PtScanner.ScanBytes(bytes, name);

    [Fact]
    public void Torch_zip_state_dict_is_clean()
    {
        var r = Scan(ZipBuilder.MakePt(StateDictPickle(), Floats()));
        Assert.Equal(ScanContainer.TorchZip, r.Container);
        Assert.Empty(r.Findings);
        Assert.Equal(1, r.PickleCount);
        Assert.Contains(r.Globals, g => g.FullName == "torch._utils._rebuild_tensor_v2" && g.Verdict == GlobalVerdict.Safe);
    }

    [Fact]
    public void Payload_in_data_pkl_is_found_whatever_the_extension()
    {
        var r = Scan(ZipBuilder.MakePt(Evil(), Floats()), "weights.safetensors");
        Assert.Equal(ScanContainer.TorchZip, r.Container);
        var f = Assert.Single(r.Findings);
        Assert.Equal("archive/data.pkl", f.Record);
        Assert.NotNull(f.FileOffset);
    }

    [Theory]
    [InlineData("archive/constants.pkl")]
    [InlineData("archive/extra/meta.pkl")]
    [InlineData("archive/extra/anything")]
    [InlineData("archive/code/__torch__/m.py.debug_pkl")]
    [InlineData("archive/unlisted_member")]
    public void Every_member_holding_a_pickle_is_scanned(string member)
    {
        var z = ZipBuilder.Torch(StateDictPickle(), [Floats()]).Add(member, Evil("subprocess", "run"));
        var r = Scan(z.Build());
        Assert.Contains(r.Findings, f => f.Global == "subprocess.run" && f.Record == member);
    }

    [Fact]
    public void Deflated_pickle_members_are_inflated_and_scanned()
    {
        var z = ZipBuilder.Torch(Evil(), [Floats()]).DeflateMember("archive/data.pkl");
        Assert.Contains(Scan(z.Build()).Findings, f => f.Global == "os.system");
    }

    [Fact]
    public void Storage_records_that_happen_to_start_like_a_pickle_are_not_reported()
    {
        byte[] data = new byte[256];
        data[0] = 0x80; data[1] = 0x02; data[2] = 0x63; // PROTO 2, GLOBAL, then no newline: not a pickle
        var r = Scan(ZipBuilder.MakePt(StateDictPickle(), data));
        Assert.Empty(r.Findings);
    }

    [Fact]
    public void Duplicate_names_are_dangerous_and_both_copies_are_scanned()
    {
        var z = new ZipBuilder().Add("archive/data.pkl", StateDictPickle()).Add("archive/data/0", Floats())
            .Add("archive/data.pkl", Evil()).Add("archive/version", "3\n");
        var r = Scan(z.Build());
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipDuplicateName && f.Severity == ScanSeverity.Dangerous);
        Assert.Contains(r.Findings, f => f.Global == "os.system" && f.Record == "archive/data.pkl#2");
    }

    [Fact]
    public void Members_outside_the_archive_prefix_are_reported_and_scanned()
    {
        var z = ZipBuilder.Torch(StateDictPickle(), [Floats()]).Add("other/data.pkl", Evil());
        var r = Scan(z.Build());
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipPrefixMismatch);
        Assert.Contains(r.Findings, f => f.Global == "os.system");
    }

    [Fact]
    public void Declared_zip_bomb_is_reported_and_not_inflated()
    {
        var z = ZipBuilder.Torch(Evil(), [Floats()]).DeflateMember("archive/data.pkl");
        z.DeclaredSizes["archive/data.pkl"] = 0xFFFFFF00;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = Scan(z.Build());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipBomb && f.Severity == ScanSeverity.Dangerous);
    }

    [Fact]
    public void Pickle_before_a_zip_is_what_torch_runs_and_is_scanned()
    {
        var zip = ZipBuilder.MakePt(StateDictPickle(), Floats());
        var r = Scan([.. Evil(), .. zip]);
        Assert.Equal(ScanContainer.Pickle, r.Container);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.DangerousGlobal && f.Record == "pickle");
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipExtraData);
    }

    [Fact]
    public void Pickle_appended_after_a_zip_is_reported_and_scanned()
    {
        var zip = ZipBuilder.MakePt(StateDictPickle(), Floats());
        var r = Scan([.. zip, .. Evil()]);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipExtraData);
        Assert.Contains(r.Findings, f => f.Global == "os.system" && f.Record == "after-zip");
    }

    [Fact]
    public void Encrypted_member_is_dangerous()
    {
        var bytes = ZipBuilder.MakePt(StateDictPickle(), Floats());
        // Set bit 0 of the general-purpose flags in the first central entry (archive/data.pkl).
        int cd = bytes.AsSpan().IndexOf("PK\x01\x02"u8);
        bytes[cd + 8] |= 1;
        var r = Scan(bytes);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipEncrypted && f.Severity == ScanSeverity.Dangerous);
    }

    [Fact]
    public void Local_and_central_name_mismatch_is_dangerous()
    {
        var bytes = ZipBuilder.MakePt(StateDictPickle(), Floats());
        int local = bytes.AsSpan().IndexOf("archive/data.pkl"u8);
        bytes[local + "archive/data.".Length] = (byte)'x'; // the local header now says archive/data.xkl
        var r = Scan(bytes);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ZipNameMismatch && f.Severity == ScanSeverity.Dangerous);
    }

    [Fact]
    public void Legacy_stream_scans_all_its_header_pickles()
    {
        var magic = PickleBuilder.Start(2).Long1Bytes(0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19).Stop().ToArray();
        byte[] file = [.. magic, .. PickleBuilder.Start(2).BinInt2(1001).Stop().ToArray(), .. Evil("posix", "system"),
            .. PickleBuilder.Start(2).EmptyDict().Stop().ToArray(), .. PickleBuilder.Start(2).EmptyList().Stop().ToArray()];
        var r = Scan(file);
        Assert.Equal(ScanContainer.LegacyStream, r.Container);
        Assert.Equal(5, r.PickleCount);
        Assert.Contains(r.Findings, f => f.Global == "posix.system" && f.Record == "legacy sys_info");
    }

    [Fact]
    public void Concatenated_pickles_are_all_scanned()
    {
        byte[] file = [.. PickleBuilder.Start(2).EmptyDict().Stop().ToArray(), .. Evil()];
        var r = Scan(file);
        Assert.Equal(2, r.PickleCount);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.TrailingData);
        Assert.Contains(r.Findings, f => f.Global == "os.system" && f.Record == "pickle #2");
    }

    [Fact]
    public void Npy_object_array_pickle_is_scanned_and_plain_arrays_are_clean()
    {
        static byte[] Npy(string descr, byte[] data)
        {
            string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }";
            header = header.PadRight(64 - 10 - 1) + "\n";
            var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
            bytes.AddRange(data);
            return [.. bytes];
        }
        var obj = Scan(Npy("|O", Evil()));
        Assert.Equal(ScanContainer.Npy, obj.Container);
        Assert.Contains(obj.Findings, f => f.Global == "os.system");
        var plain = Scan(Npy("<f4", Floats()));
        Assert.Empty(plain.Findings);
        var npz = Scan(new ZipBuilder().Add("arr_0.npy", Npy("|O", Evil()), deflate: true).Build());
        Assert.Equal(ScanContainer.Zip, npz.Container);
        Assert.Contains(npz.Findings, f => f.Global == "os.system");
    }

    [Theory]
    [InlineData(new byte[] { 0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4 })]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0 })]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 })]
    public void Archives_torch_cannot_load_are_unscannable(byte[] head)
    {
        var r = Scan([.. head, .. Evil()]);
        Assert.Equal(ScanContainer.Unscannable, r.Container);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.Unscannable && f.Severity == ScanSeverity.Dangerous);
    }

    [Fact]
    public void Text_safetensors_and_empty_files_are_not_models()
    {
        Assert.Equal(ScanContainer.Unknown, Scan("just some text\n"u8.ToArray()).Container);
        var text = Scan("just some text\n"u8.ToArray());
        Assert.True(text.IsClean && !text.HasWarnings);
        var st = new byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(st, 2);
        st[8] = (byte)'{'; st[9] = (byte)'}';
        Assert.Equal(ScanContainer.Safetensors, Scan(st).Container);
        var empty = Scan([]);
        Assert.True(empty.IsClean && !empty.HasWarnings);
    }

    [Fact]
    public void Legacy_tar_fixture_scans_every_embedded_pickle()
    {
        var r = PtScanner.ScanFile(Path.Combine(RepoPaths.Fixtures, "handbuilt", "legacy_tar.pt"));
        Assert.Equal(ScanContainer.LegacyTar, r.Container);
        Assert.True(r.PickleCount > 5);
        Assert.False(r.IsMalformed);
        Assert.False(r.IsDangerous);
    }

    [Fact]
    public void Scanning_a_file_does_not_copy_its_tensor_data()
    {
        // 64 MiB of storage: the scan maps the file and reads only headers and data.pkl.
        var big = new byte[64 << 20];
        var path = Path.Combine(Path.GetTempPath(), $"ptsharp-scan-big-{Environment.ProcessId}.pt");
        try
        {
            File.WriteAllBytes(path, ZipBuilder.MakePt(PickleBuilder.Start(2).EmptyDict().Str("w")
                .Tensor("ByteStorage", "0", big.Length, 0, [big.Length], [1]).SetItem().Stop().ToArray(), big));
            big = null!;
            PtScanner.ScanFile(path); // warm up
            long before = GC.GetAllocatedBytesForCurrentThread();
            var r = PtScanner.ScanFile(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Empty(r.Findings);
            Assert.True(allocated < 1 << 20, $"scan allocated {allocated} bytes for a 64 MiB file");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_file_gives_an_error_report()
    {
        var r = PtScanner.ScanFile("/nonexistent/ptsharp/file.pt");
        Assert.NotNull(r.Error);
        Assert.False(r.IsClean);
    }
}
