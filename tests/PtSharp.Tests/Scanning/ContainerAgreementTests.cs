using System.Text;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>
/// The loader and the scanner take the same path through a container as torch's own readers (one sniffer, one tar
/// walker, one zip end-record layer): what torch opens, PtFile opens and pt scan scans; where two real readers
/// disagree, both readings are scanned and the disagreement is reported.
/// </summary>
public sealed class ContainerAgreementTests
{
    private static byte[] Evil() => PickleBuilder.Start(2).Global("os", "system").Str("id").Tuple1().Reduce().Stop(
        ).ToArray();

    private static byte[] Header(string name, long size, byte type = (byte)'0', bool signedSum = false)
    {
        var h = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = type;
        Encoding.ASCII.GetBytes("ustar\000").CopyTo(h, 257);
        if (signedSum) h.AsSpan(265, 32).Fill(0xFE);
        h.AsSpan(148, 8).Fill((byte)' ');
        long sum = signedSum ? h.Sum(b => (long)(sbyte)b) : h.Sum(b => (long)b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    private static byte[] Member(string name, byte[] data, byte type = (byte)'0', bool signedSum = false) =>
        [.. Header(name, data.Length, type, signedSum), .. data, .. new byte[(512 - data.Length % 512) % 512]];

    [Fact]
    public void A_tar_that_Python_311_and_313_split_differently_is_scanned_both_ways()
    {
        // GNU long name 'x/' then a v7 header whose raw name ends in '/': Python 3.11 makes it a directory and reads
        // the next header from its data (a 'pickle' member with a payload); 3.13 keeps it a file and skips the data.
        byte[] inner = Member("pickle", Evil());
        byte[] tar = [.. Member("././@LongLink", "x/\0"u8.ToArray(), (byte)'L'), .. Member("short/", inner, 0),
            .. new byte[1024]];
        var r = PtScanner.ScanBytes(tar);
        Assert.Equal(ScanContainer.LegacyTar, r.Container);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.ContainerMismatch);
        Assert.Contains(r.Findings, f => f.Global == "os.system" && f.Record == "pickle");
    }

    [Fact]
    public void A_link_named_pickle_is_scanned_as_the_pickle_torch_reads()
    {
        // legacy_load's extractfile('pickle') follows the symbolic link to 'notes.txt'.
        byte[] tar = [.. Member("notes.txt", Evil()), .. LinkTo(Header("pickle", 0, (byte)'2'), "notes.txt"),
            .. new byte[1024]];
        var r = PtScanner.ScanBytes(tar);
        Assert.Contains(r.Findings, f => f.Global == "os.system" && f.Record == "pickle");
    }

    [Fact]
    public void A_link_named_pickle_to_a_file_outside_the_archive_cannot_be_vouched_for()
    {
        byte[] tar = [.. LinkTo(Header("pickle", 0, (byte)'2'), "/home/user/evil.pkl"), .. new byte[1024]];
        var r = PtScanner.ScanBytes(tar);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.Unscannable && f.Severity == ScanSeverity.Warning);
    }

    private static byte[] LinkTo(byte[] header, string target)
    {
        Encoding.ASCII.GetBytes(target).CopyTo(header, 157);
        header.AsSpan(148, 8).Fill((byte)' ');
        Encoding.ASCII.GetBytes(Convert.ToString(header.Sum(b => (long)b), 8).PadLeft(6, '0') + "\0 ").CopyTo(header,
            148);
        return header;
    }

    [Fact]
    public void The_loader_opens_a_legacy_tar_whose_checksum_is_the_signed_sum_as_torch_does()
    {
        byte[] original = File.ReadAllBytes(Path.Combine(RepoPaths.Fixtures, "handbuilt", "legacy_tar.pt"));
        using var expected = PtFile.Load(original);
        // Rewrite the first header with the signed-byte checksum (tarfile accepts either sum).
        byte[] changed = (byte[])original.Clone();
        changed.AsSpan(265, 32).Fill(0xFE);
        changed.AsSpan(148, 8).Fill((byte)' ');
        long sum = changed.AsSpan(0, 512).ToArray().Sum(b => (long)(sbyte)b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(changed, 148);
        using var f = PtFile.Load(changed);
        Assert.Equal(PtFormat.LegacyTar, f.Format);
        Assert.Equal(expected.Tensors.Count, f.Tensors.Count);
        Assert.Equal(ScanContainer.LegacyTar, PtScanner.ScanBytes(changed).Container);
    }

    [Theory]
    [InlineData(60_000)]
    [InlineData(69_000)]
    public void A_zip_whose_end_record_miniz_finds_far_from_the_end_is_opened_and_scanned(int trailing)
    {
        byte[] zip = ZipBuilder.MakePt(PickleBuilder.Start(2).EmptyDict().Str("w")
            .Tensor("FloatStorage", "0", 4, 0, [4], [1]).SetItem().Stop().ToArray(), RawData.Of(1f, 2f, 3f, 4f));
        byte[] file = [.. zip, .. Enumerable.Repeat((byte)1, trailing)];
        using var f = PtFile.Load(file);
        Assert.Single(f.Tensors);
        var r = PtScanner.ScanBytes(file);
        Assert.Equal(ScanContainer.TorchZip, r.Container);
        Assert.Equal(1, r.PickleCount);
    }

    [Fact]
    public void A_zip_whose_end_record_is_beyond_miniz_search_is_refused_by_both()
    {
        byte[] zip = ZipBuilder.MakePt(PickleBuilder.Start(2).EmptyDict().Stop().ToArray());
        byte[] file = [.. zip, .. Enumerable.Repeat((byte)1, 69_600)];
        Assert.Throws<PtSharp.Errors.PtFormatException>(() => PtFile.Load(file).Dispose());
        Assert.Contains(PtScanner.ScanBytes(file).Findings, f => f.Kind == ScanFindingKind.CorruptContainer);
    }
}
