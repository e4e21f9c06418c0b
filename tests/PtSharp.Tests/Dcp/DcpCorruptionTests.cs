using PtSharp.Dcp;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Writing;

namespace PtSharp.Tests.Dcp;

/// <summary>Hand-corrupted folders: typed errors naming the item and where, scan findings, never a crash.</summary>
public sealed class DcpCorruptionTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("ptsharp-dcp-bad-");
    private readonly string _good;

    public DcpCorruptionTests()
    {
        _good = Path.Combine(_work.FullName, "good");
        using var source = PtFile.Load(Serialize());
        DcpWriter.Save(_good, source.Tensors, new DcpSaveOptions { Writers = 2 });
    }

    public void Dispose() => _work.Delete(recursive: true);

    private static byte[] Serialize()
    {
        using var ms = new MemoryStream();
        PtWriter.Save(ms, DcpWriteTests.Sample());
        return ms.ToArray();
    }

    private string Copy(string name)
    {
        string dir = Path.Combine(_work.FullName, name);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(_good)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static List<DcpItem> Items(string dir) => DcpMetadataReader.Read(Path.Combine(dir, ".metadata"), new PtLoadOptions()).Items.ToList();

    private static void WriteItems(string dir, IReadOnlyList<DcpItem> items) => File.WriteAllBytes(Path.Combine(dir, ".metadata"), DcpMetadataWriter.Write(items));

    private static string Rewrite(string dir, string name, Func<DcpTensorItem, DcpTensorItem> change)
    {
        var items = Items(dir).Select(i => i is DcpTensorItem t && t.Name == name ? change(t) : i).ToList();
        WriteItems(dir, items);
        return dir;
    }

    private static PtFormatException OpenFails(string dir)
    {
        var e = Assert.ThrowsAny<PtFormatException>(() => { using var _ = DcpCheckpoint.Open(dir); });
        var cli = CliProcess.Run(TimeSpan.FromMinutes(1), "inspect", dir);
        Assert.Equal(ExitCodes.Unreadable, cli.ExitCode);
        Assert.Single(cli.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", cli.Stderr);
        return e;
    }

    private static class ExitCodes { public const int Unreadable = 2; }

    [Fact]
    public void The_good_folder_opens()
    {
        using var dcp = DcpCheckpoint.Open(_good);
        Assert.Equal(10, dcp.Tensors.Count);
        Assert.True(dcp.AssembledTensorCount >= 4);
    }

    [Fact]
    public void Truncated_distcp_names_the_item_and_offset()
    {
        string dir = Copy("truncated");
        string file = Path.Combine(dir, "__1_0.distcp");
        using (var fs = new FileStream(file, FileMode.Open)) fs.SetLength(fs.Length / 2);
        var e = OpenFails(dir);
        Assert.Equal(PtErrorKind.Truncated, e.Kind);
        Assert.Equal("__1_0.distcp", e.Record);
        Assert.NotNull(e.Offset);
        Assert.Matches("'[a-z0-9.]+' is stored at bytes", e.Message);
    }

    [Fact]
    public void A_chunk_past_the_end_of_its_file()
    {
        string dir = Rewrite(Copy("past-end"), "fc1.weight", t => t with
        {
            Chunks = [t.Chunks[0] with { Storage = t.Chunks[0].Storage with { Length = 1 << 30 } }, .. t.Chunks.Skip(1)],
        });
        var e = OpenFails(dir);
        Assert.Equal(PtErrorKind.Truncated, e.Kind);
        Assert.Contains("'fc1.weight'", e.Message);
        Assert.Equal(e.Offset, Items(dir).OfType<DcpTensorItem>().Single(t => t.Name == "fc1.weight").Chunks[0].Storage.Offset);
    }

    [Fact]
    public void Overlapping_chunks()
    {
        string dir = Rewrite(Copy("overlap"), "fc1.weight", t => t with
        {
            Chunks = [t.Chunks[0], t.Chunks[1] with { Offsets = [t.Chunks[1].Offsets[0] - 1, 0] }],
        });
        var e = OpenFails(dir);
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Contains("two chunks of 'fc1.weight' overlap", e.Message);
        Assert.NotNull(e.Offset);
    }

    [Fact]
    public void A_hole_where_a_chunk_is_missing()
    {
        string dir = Rewrite(Copy("hole"), "emb.weight", t => t with { Chunks = [t.Chunks[0]] });
        var e = OpenFails(dir);
        Assert.Contains("'emb.weight'", e.Message);
        Assert.Contains("holes", e.Message);
    }

    [Fact]
    public void A_chunk_outside_the_tensor()
    {
        string dir = Rewrite(Copy("outside"), "fc1.bias", t => t with { Shape = [5] });
        var e = OpenFails(dir);
        Assert.Contains("'fc1.bias'", e.Message);
        Assert.Contains("dimension 0, which has size 5", e.Message);
    }

    [Fact]
    public void A_stored_chunk_that_disagrees_with_the_metadata_shape()
    {
        // fc1.weight [7, 10] over 2 writers: rows 0..4 and 4..7. Swapping the files' byte ranges gives each box the other's tensor.
        string dir = Rewrite(Copy("shape"), "fc1.weight", t => t with
        {
            Chunks = [t.Chunks[0] with { Storage = t.Chunks[1].Storage }, t.Chunks[1] with { Storage = t.Chunks[0].Storage }],
        });
        var e = OpenFails(dir);
        Assert.Equal(PtErrorKind.InvalidTensor, e.Kind);
        Assert.Contains("the chunk of 'fc1.weight' at (0, 0) is float32 [3, 10]; the metadata says float32 [4, 10]", e.Message);
        Assert.Equal("__1_0.distcp", e.Record);
    }

    [Fact]
    public void A_relative_path_leaving_the_folder()
    {
        string dir = Rewrite(Copy("escape"), "mask", t => t with { Chunks = [t.Chunks[0] with { Storage = t.Chunks[0].Storage with { RelativePath = "../good/__0_0.distcp" } }] });
        var e = OpenFails(dir);
        Assert.Contains("not a file name inside the checkpoint folder", e.Message);
    }

    [Fact]
    public void A_malicious_metadata_is_refused_and_flagged_by_scan()
    {
        string dir = Copy("malicious");
        string marker = Path.Combine(_work.FullName, "pwned");
        var p = new PickleBuilder().Proto(2).Global("posix", "system").ShortBinUnicode($"touch {marker}").Tuple1().Reduce().Stop().ToArray();
        File.WriteAllBytes(Path.Combine(dir, ".metadata"), p);
        var e = OpenFails(dir);
        Assert.Equal(PtErrorKind.CorruptPickle, e.Kind);
        Assert.Contains("posix.system", e.Message);
        Assert.False(File.Exists(marker));
        var reports = DcpScan.Scan(dir);
        Assert.True(reports[0].IsDangerous);
        Assert.Contains(reports[0].Findings, f => f.Global == "posix.system");
        // the data files are still scanned (whole, since the metadata cannot say where the items are)
        Assert.Equal(3, reports.Count);
        var cli = CliProcess.Run(TimeSpan.FromMinutes(1), "scan", dir);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("DANGEROUS", cli.Stdout);
    }

    [Fact]
    public void A_dangerous_global_inside_a_chunk_blob_is_a_scan_finding()
    {
        string dir = Copy("evil-chunk");
        var evil = new ZipBuilder().Add("archive/data.pkl", new PickleBuilder().Proto(2).Global("os", "system").ShortBinUnicode("id").Tuple1().Reduce().Stop().ToArray()).Build();
        string file = Path.Combine(dir, "__1_0.distcp");
        long offset = new FileInfo(file).Length;
        File.AppendAllBytes(file, evil);
        var items = Items(dir);
        items.Add(new DcpBytesItem("extra.evil", new DcpStorageInfo("__1_0.distcp", offset, evil.Length)));
        WriteItems(dir, items);
        var reports = DcpScan.Scan(dir);
        var hit = Assert.Single(reports, r => r.IsDangerous);
        Assert.Contains("extra.evil", hit.Path);
        Assert.Contains($"@{offset}", hit.Path);
    }

    [Fact]
    public void Random_byte_flips_give_typed_errors_or_a_valid_folder()
    {
        var rng = new Random(16);
        var files = Directory.GetFiles(_good).Select(Path.GetFileName).ToArray();
        string dir = Copy("fuzz");
        for (int i = 0; i < 150; i++)
        {
            string name = files[rng.Next(files.Length)]!;
            var original = File.ReadAllBytes(Path.Combine(_good, name));
            var bytes = (byte[])original.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            if (rng.Next(8) == 0) bytes = bytes[..rng.Next(bytes.Length)];
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
            try
            {
                using var dcp = DcpCheckpoint.Open(dir);
                foreach (var t in dcp.Tensors) _ = LogicalBytes.SameBytes(t.Tensor, t.Tensor);
            }
            catch (PtFormatException) { }
            catch (KeyNotFoundException) { Assert.Fail($"flip {i} in {name}: KeyNotFoundException"); }
            _ = DcpScan.Scan(dir);
            File.WriteAllBytes(Path.Combine(dir, name), original);
        }
    }
}
