using PtSharp.TorchSharp.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// <see cref="PtTorch.LoadTorchScript"/>: archives scripted and traced by torch 1.13 and 2.6 run in TorchSharp with
/// torch's output; every malicious file of tests/malicious is refused by the scanner or the reader with PtSharp's
/// exceptions, so none reaches torch.jit.load (whose failures are TorchSharp exceptions).
/// </summary>
public sealed class TorchScriptTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() =>
        from v in new[] { "1.13", "2.6" } from c in new[] { "ts_scripted", "ts_traced" } select new object[] { v, c };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TorchScript_archives_run_with_torchs_output_and_their_weights_load(string version, string name)
    {
        var dir = TorchFiles.Folder(version, out string skip);
        if (dir is null) { output.WriteLine(skip); return; }
        using var scope = torch.NewDisposeScope();
        string path = Path.Combine(dir, name + ".pt");
        var io = PtTorch.LoadStateDict(Path.Combine(dir, $"io_{name}.pt"));
        using var module = PtTorch.LoadTorchScript(path);
        module.eval();
        Tensor y;
        using (torch.no_grad()) y = (Tensor)module.call(io["x"]);
        double err = TensorCompare.RelativeError(y, io["y"]);
        Assert.True(err <= 1e-5, $"{name} ({version}): relative error {err:E3}");

        var weights = PtTorch.LoadStateDict(path);
        var jitWeights = module.state_dict();
        Assert.Equal(jitWeights.Keys.Order(), weights.Keys.Order());
        foreach (var (k, t) in jitWeights) Assert.True(TensorCompare.Hex(t) == TensorCompare.Hex(weights[k]), k);
    }

    [Fact]
    public void Malicious_files_never_reach_torch_jit_load()
    {
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "tests", "malicious")).Where(f => !f.EndsWith(".json", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count > 20, $"only {files.Count} malicious files");
        int unsafeCount = 0, rejected = 0;
        foreach (var f in files)
        {
            var e = Record.Exception(() => PtTorch.LoadTorchScript(f));
            Assert.True(e is UnsafeFileException or PtFormatException, $"{Path.GetFileName(f)}: {e?.GetType().Name ?? "loaded"}: {e?.Message}");
            if (e is UnsafeFileException) unsafeCount++; else rejected++;
        }
        output.WriteLine($"{files.Count} malicious files: {unsafeCount} refused by the scanner, {rejected} by the reader");
        Assert.True(unsafeCount > 5);
    }

    [Fact]
    public void A_torch_save_file_is_not_a_TorchScript_archive()
    {
        var e = Assert.Throws<PtFormatException>(() =>
            PtTorch.LoadTorchScript(Path.Combine(RepoPaths.Root, "tests", "fixtures", "torch-2.6", "mlp_state_dict.pt")));
        Assert.Contains("not a TorchScript archive", e.Message);
    }
}
