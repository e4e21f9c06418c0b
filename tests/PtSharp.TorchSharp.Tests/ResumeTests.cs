using System.Text.Json;
using PtSharp.TorchSharp.Checkpoints;
using PtSharp.TorchSharp.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// Resumed training across the language boundary. Python (1.13 and 2.6) trained 3 steps with Adam, AdamW and
/// SGD-momentum and saved a checkpoint, then took 3 more steps on the next batches. TorchSharp loads the checkpoint
/// (model and optimizer state into its own optimizers, built with other hyper-parameters), takes the same 3 steps,
/// and must end within 1e-6 of Python. The reverse: TorchSharp saves module + optimizer as a checkpoint, and Python
/// (1.13 and 2.6) resumes from it with optimizer.load_state_dict to the same parameters.
/// </summary>
public sealed class ResumeTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() =>
        from v in new[] { "1.13", "2.6" } from o in new[] { "adam", "adamw", "sgd" } select new object[] { v, o };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TorchSharp_resumes_a_Python_checkpoint_and_matches_Python(string version, string opt)
    {
        if (Folder(version) is not { } dir) return;
        using var scope = torch.NewDisposeScope();
        using var ck = TrainingCheckpoint.Open(Path.Combine(dir, $"resume_{opt}.pt"));
        Assert.Equal(3L, ck.Scalars["epoch"]);
        Assert.IsType<double>(ck.Scalars["loss"]);
        Assert.Equal("resume test", ck.Scalars["note"]);
        var (model, optimizer) = Fresh(opt);
        ck.LoadModel(model);
        ck.LoadOptimizer(optimizer);
        Train(model, optimizer, dir);
        var after = PtTorch.LoadStateDict(Path.Combine(dir, $"resume_{opt}_after.pt"));
        double worst = 0;
        foreach (var (k, t) in model.state_dict())
            worst = Math.Max(worst, (t - after[k]).abs().max().item<float>());
        output.WriteLine($"{opt} from torch {version}: max |TorchSharp - Python| = {worst:E2}");
        Assert.True(worst <= 1e-6, $"{opt} ({version}): parameters differ by {worst:E3}");
    }

    /// <summary>TorchSharp resumes torch <paramref name="version"/>'s checkpoint and saves its own; the same torch
    /// (1.13 on the host through the oracle bridge) loads it with optimizer.load_state_dict and continues.</summary>
    [Theory]
    [MemberData(nameof(TorchFiles.Versions), MemberType = typeof(TorchFiles))]
    public void Python_resumes_a_TorchSharp_checkpoint(string version)
    {
        if (Folder(version) is not { } dir) return;
        if (!Python.Available(version, out string skip)) { output.WriteLine(skip); return; }
        var work = Directory.CreateTempSubdirectory("ptsharp-resume-").FullName;
        try
        {
            var manifest = new List<Dictionary<string, string>>();
            foreach (var opt in new[] { "adam", "adamw", "sgd" })
            {
                using var scope = torch.NewDisposeScope();
                using var ck = TrainingCheckpoint.Open(Path.Combine(dir, $"resume_{opt}.pt"));
                var (model, optimizer) = Fresh(opt);
                ck.LoadModel(model);
                ck.LoadOptimizer(optimizer);
                string written = Path.Combine(work, $"from_torchsharp_{opt}.pt");
                TrainingCheckpoint.Save(written, model, optimizer, [new("epoch", 3), new("loss", 0.5)]);
                manifest.Add(new() { ["opt"] = opt, ["written"] = written, ["files"] = dir });
            }
            string m = Path.Combine(work, "manifest.json"), r = Path.Combine(work, "result.json");
            File.WriteAllText(m, JsonSerializer.Serialize(manifest));
            Python.RunWith(version, "resume_check.py", m, r);
            var problems = new List<string>();
            var results = JsonDocument.Parse(File.ReadAllBytes(r)).RootElement;
            Assert.Equal(manifest.Count, results.GetArrayLength());
            foreach (var x in results.EnumerateArray())
            {
                string name = Path.GetFileName(x.GetProperty("written").GetString())!;
                output.WriteLine($"torch {version} resumes {name}: max diff {x.GetProperty("max_diff").GetDouble():E2}");
                foreach (var p in x.GetProperty("problems").EnumerateArray()) problems.Add($"{version} {name}: {p}");
            }
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public void An_optimizer_over_other_parameters_is_refused()
    {
        using var ck = TrainingCheckpoint.Open(Path.Combine(Folder("2.6")!, "resume_adam.pt"));
        using var small = nn.Sequential(("0", nn.Linear(8, 16)));
        using var adam = optim.Adam(small.parameters());
        var e = Assert.Throws<PtFormatException>(() => ck.LoadOptimizer(adam));
        Assert.Contains("has 4 parameters but the optimizer's has 2", e.Message);
    }

    /// <summary>The model of make_files.py and an optimizer whose hyper-parameters differ from the saved ones.</summary>
    private static (nn.Module<Tensor, Tensor>, OptimizerHelper) Fresh(string opt)
    {
        var model = nn.Sequential(("0", nn.Linear(8, 16)), ("1", nn.Tanh()), ("2", nn.Linear(16, 4)));
        OptimizerHelper o = opt switch
        {
            "adam" => optim.Adam(model.parameters(), lr: 1.0),
            "adamw" => optim.AdamW(model.parameters(), lr: 1.0),
            _ => optim.SGD(model.parameters(), 1.0, momentum: 0.5),
        };
        return (model, o);
    }

    private static void Train(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, string dir)
    {
        var batches = PtTorch.LoadStateDict(Path.Combine(dir, "resume_batches.pt"));
        for (int i = 3; i < 6; i++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(batches[$"x.{i}"]), batches[$"y.{i}"]);
            loss.backward();
            optimizer.step();
        }
    }

    private string? Folder(string version)
    {
        var dir = TorchFiles.Folder(version, out string skip);
        if (dir is null) output.WriteLine(skip);
        return dir;
    }
}
