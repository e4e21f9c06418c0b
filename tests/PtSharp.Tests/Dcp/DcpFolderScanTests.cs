using System.Text.Json;
using PtSharp.Dcp;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tests.Support;
using PtSharp.Writing;

namespace PtSharp.Tests.Dcp;

/// <summary>
/// <c>pt scan -r PARENT</c> finds the distributed checkpoint folders below PARENT and scans each as a checkpoint:
/// <c>.metadata</c> with the DCP classes known, every <c>.distcp</c> item as its own blob.
/// </summary>
public sealed class DcpFolderScanTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("ptsharp-dcp-tree-");

    public void Dispose() => _work.Delete(recursive: true);

    private string Tree()
    {
        string parent = Path.Combine(_work.FullName, "models");
        Directory.CreateDirectory(Path.Combine(parent, "runs", "deep"));
        PtWriter.Save(Path.Combine(parent, "loose.pt"), DcpWriteTests.Sample());
        string good = Path.Combine(parent, "runs", "good.dcp");
        var state = new PyDict { { "model", DcpWriteTests.Sample() }, { "epoch", 3L } };
        DcpWriter.SaveState(good, state, new DcpSaveOptions { Writers = 2 });

        // A hidden item: a dangerous blob between the chunks of a data file, named by the metadata.
        string evil = Path.Combine(parent, "runs", "deep", "evil.dcp");
        DcpWriter.SaveState(evil, state, new DcpSaveOptions { Writers = 2 });
        var blob = new ZipBuilder().Add("archive/data.pkl", new PickleBuilder().Proto(2).Global("os", "system")
            .ShortBinUnicode("id").Tuple1().Reduce().Stop().ToArray()).Build();
        string data = Path.Combine(evil, "__1_0.distcp");
        long offset = new FileInfo(data).Length;
        File.AppendAllBytes(data, blob);
        string metadata = Path.Combine(evil, ".metadata");
        var items = DcpMetadataReader.Read(metadata, new PtLoadOptions()).Items.ToList();
        items.Add(new DcpBytesItem("extra.evil", new DcpStorageInfo("__1_0.distcp", offset, blob.Length)));
        File.WriteAllBytes(metadata, DcpMetadataWriter.Write(items));

        // A malicious .metadata in a second folder.
        string bad = Path.Combine(parent, "bad.dcp");
        DcpWriter.SaveState(bad, state);
        File.WriteAllBytes(Path.Combine(bad, ".metadata"), new PickleBuilder().Proto(2).Global("posix", "system")
            .ShortBinUnicode("true").Tuple1().Reduce().Stop().ToArray());
        return parent;
    }

    [Fact]
    public void Folder_listing_separates_checkpoint_folders_from_loose_files()
    {
        string parent = Tree();
        var targets = FolderScanTargets.List(parent, recursive: true);
        Assert.Equal([Path.Combine(parent, "bad.dcp"), Path.Combine(parent, "runs", "deep", "evil.dcp"),
            Path.Combine(parent, "runs", "good.dcp")], targets.DcpFolders);
        Assert.Equal([Path.Combine(parent, "loose.pt")], targets.Files);
        var flat = FolderScanTargets.List(parent, recursive: false);
        Assert.Empty(flat.DcpFolders);
        Assert.Equal([Path.Combine(parent, "loose.pt")], flat.Files);
    }

    [Fact]
    public void Scan_r_scans_each_checkpoint_folder_as_a_checkpoint()
    {
        string parent = Tree();
        var r = CliProcess.Run(TimeSpan.FromMinutes(2), "scan", "-r", parent, "--json");
        Assert.Equal(1, r.ExitCode);
        var files = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("files").EnumerateArray()
            .Select(f => (Path: f.GetProperty("path").GetString()!, Verdict: f.GetProperty("verdict").GetString()!))
            .ToList();
        string sep = Path.DirectorySeparatorChar.ToString();
        // The benign folder: its metadata is clean (DCP classes known), and its items are scanned one by one.
        var good = files.Where(f => f.Path.Contains(sep + "good.dcp" + sep, StringComparison.Ordinal)).ToList();
        Assert.Contains(good, f => f.Path.EndsWith(sep + ".metadata", StringComparison.Ordinal)
            && f.Verdict == "clean");
        Assert.Contains(good, f => f.Path.Contains("__1_0.distcp@", StringComparison.Ordinal));
        Assert.Contains(good, f => f.Path.Contains("(epoch)", StringComparison.Ordinal));
        Assert.All(good, f => Assert.Equal("clean", f.Verdict));
        // The hidden item is found as an item of its data file; the malicious metadata is dangerous.
        var evil = Assert.Single(files, f => f.Verdict == "dangerous" && f.Path.Contains("evil.dcp"));
        Assert.Contains("(extra.evil)", evil.Path);
        Assert.Contains(files, f => f.Verdict == "dangerous" && f.Path.EndsWith(Path.Combine("bad.dcp", ".metadata")));
        Assert.Contains(files, f => f.Path.EndsWith("loose.pt") && f.Verdict == "clean");
        Assert.Equal(2, files.Count(f => f.Verdict == "dangerous"));
    }
}
