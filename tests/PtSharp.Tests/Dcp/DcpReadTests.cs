using PtSharp.Dcp;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Safetensors;
using PtSharp.Scanning;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Dcp;

/// <summary>Folders torch 2.6 wrote, read by PtSharp and compared with torch's own <c>dcp_to_torch_save</c>.</summary>
public sealed class DcpReadTests(DcpTorchFolders folders, ITestOutputHelper output) : IClassFixture<DcpTorchFolders>
{
    public static TheoryData<string> Cases => new(DcpTorchFolders.Cases);

    private bool Skip()
    {
        if (folders.Available) return false;
        Assert.False(RepoPaths.IsCi, "torch 2.6 oracle is missing under CI");
        output.WriteLine("torch 2.6 oracle not installed; skipped");
        return true;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_tensor_equals_dcp_to_torch_save(string name)
    {
        if (Skip()) return;
        using var dcp = DcpCheckpoint.Open(folders.Folder(name));
        using var reference = PtFile.Open(folders.Reference(name));
        AssertSameTensors(reference.Tensors, dcp.Tensors);
        if (name.StartsWith("ranks", StringComparison.Ordinal)) Assert.True(dcp.AssembledTensorCount >= 8, $"{dcp.AssembledTensorCount} assembled");
        if (name == "single") Assert.Equal(0, dcp.AssembledTensorCount);
        using var checkpoint = Checkpoint.Open(folders.Folder(name));
        Assert.Equal(CheckpointFormat.Dcp, checkpoint.Format);
        AssertSameTensors(reference.StateDict, checkpoint.StateDict);
        Assert.Contains(checkpoint.Notes, n => n.Contains("'model' entry", StringComparison.Ordinal));
        output.WriteLine($"{name}: {dcp.Tensors.Count} tensors, {dcp.AssembledTensorCount} assembled, {dcp.DataFiles.Count} files");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Non_tensor_values_and_nesting_match_dcp_to_torch_save(string name)
    {
        if (Skip()) return;
        using var dcp = DcpCheckpoint.Open(folders.Folder(name));
        using var reference = PtFile.Open(folders.Reference(name));
        var nested = dcp.ToNestedStateDict();
        var refRoot = (PyDict)reference.Root!;
        Assert.Equal(refRoot.Keys.Select(k => k!.ToString()).Order(), nested.Keys.Select(k => k!.ToString()).Order());
        var optim = (PyDict)nested["optim"]!;
        var groups = (PyList)optim["param_groups"]!;
        var group = (PyDict)groups[0]!;
        var refGroup = (PyDict)((PyList)((PyDict)refRoot["optim"]!)["param_groups"]!)[0]!;
        Assert.Equal((double)refGroup["lr"]!, (double)group["lr"]!);
        Assert.Equal((double)refGroup["weight_decay"]!, (double)group["weight_decay"]!);
        Assert.Equal(((PyList)refGroup["params"]!).Cast<long>(), ((PyList)group["params"]!).Cast<long>());
        var state = (PyDict)optim["state"]!;
        Assert.Equal(5, state.Count);
        var refState = (PyDict)((PyDict)refRoot["optim"]!)["state"]!;
        Assert.Equal(refState.Keys.Select(k => $"{k?.GetType().Name}:{k}"), state.Keys.Select(k => $"{k?.GetType().Name}:{k}"));
        if (!name.StartsWith("ranks", StringComparison.Ordinal)) Assert.Equal(7L, ((PyDict)nested["extra"]!)["epoch"]);
        else Assert.Equal(2L, nested["step"]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cli_converts_to_pt_and_safetensors_like_dcp_to_torch_save(string name)
    {
        if (Skip()) return;
        var work = Directory.CreateTempSubdirectory("ptsharp-dcp-out-");
        try
        {
            string pt = Path.Combine(work.FullName, "out.pt"), st = Path.Combine(work.FullName, "out.safetensors");
            var r1 = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", folders.Folder(name), pt, "-q");
            Assert.True(r1.ExitCode == 0, r1.Stderr);
            var r2 = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", folders.Folder(name), st, "-q");
            Assert.True(r2.ExitCode == 0, r2.Stderr);
            using var reference = PtFile.Open(folders.Reference(name));
            using (var ours = PtFile.Open(pt))
            {
                AssertSameTensors(reference.Tensors, ours.Tensors);
                Assert.Equal(((PyDict)reference.Root!).Keys.Select(k => k!.ToString()).Order(), ((PyDict)ours.Root!).Keys.Select(k => k!.ToString()).Order());
            }
            using var safetensors = SafetensorsFile.Open(st);
            // safetensors gets the state dict: the 'model' entry, as for a .pt checkpoint
            AssertSameTensors(reference.StateDict, safetensors.StateDict);
            if (name == "ranks4")
            {
                string shards = Path.Combine(work.FullName, "shards", "model.safetensors");
                Directory.CreateDirectory(Path.GetDirectoryName(shards)!);
                var r3 = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", folders.Folder(name), shards, "--max-shard-size", "300B", "-q");
                Assert.True(r3.ExitCode == 0, r3.Stderr);
                Assert.True(Directory.GetFiles(Path.GetDirectoryName(shards)!, "*.safetensors").Length > 1);
                using var sharded = Checkpoint.Open(Path.GetDirectoryName(shards)!);
                AssertSameTensors(reference.StateDict, sharded.StateDict);
            }
            var diff = CliProcess.Run(TimeSpan.FromMinutes(2), "diff", folders.Folder(name), folders.Reference(name));
            Assert.True(diff.ExitCode == 0, diff.Stdout + diff.Stderr);
            Assert.Contains("result: equal", diff.Stdout);
        }
        finally { work.Delete(recursive: true); }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scan_of_a_torch_folder_is_clean_and_scans_every_item(string name)
    {
        if (Skip()) return;
        var reports = DcpScan.Scan(folders.Folder(name));
        using var dcp = DcpCheckpoint.Open(folders.Folder(name));
        int items = dcp.Metadata.Items.Sum(i => i is DcpTensorItem t ? t.Chunks.Count : 1);
        Assert.Equal(1 + items, reports.Count);
        Assert.All(reports, r => Assert.True(r.IsClean && !r.HasWarnings, $"{r.Path}: {string.Join("; ", r.Findings.Select(f => f.Message))} {r.Error}"));
        var cli = CliProcess.Run(TimeSpan.FromMinutes(2), "scan", folders.Folder(name));
        Assert.True(cli.ExitCode == 0, cli.Stdout + cli.Stderr);
    }

    [Fact]
    public void Inspect_lists_the_chunks_of_a_sharded_tensor()
    {
        if (Skip()) return;
        var r = CliProcess.Run(TimeSpan.FromMinutes(2), "inspect", folders.Folder("ranks4"), "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var emb = json.RootElement.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "model.emb.weight");
        // [5, 9] column-wise over 4 ranks: torch.chunk gives 3, 3, 3, 0 columns
        var cols = emb.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("sizes")[1].GetInt64()).Where(n => n > 0).ToList();
        Assert.Equal(9, cols.Sum());
        Assert.True(cols.Count >= 3);
        Assert.All(emb.GetProperty("chunks").EnumerateArray(), c => Assert.Equal(5, c.GetProperty("sizes")[0].GetInt64()));
    }

    internal static void AssertSameTensors(IReadOnlyList<NamedTensor> expected, IReadOnlyList<NamedTensor> actual)
    {
        Assert.Equal(expected.Select(t => t.Name).Order(StringComparer.Ordinal), actual.Select(t => t.Name).Order(StringComparer.Ordinal));
        var byName = actual.ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        foreach (var (n, e) in expected)
        {
            var a = byName[n];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape.ToArray(), a.Shape.ToArray());
            Assert.True(LogicalBytes.SameBytes(e, a), $"{n}: bytes differ");
        }
    }
}
