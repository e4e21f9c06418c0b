using PtSharp.Cli.Commands;
using PtSharp.Cli;
using PtSharp.Loading;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary><c>pt quantize</c> and <c>pt prune</c>: reports, exit codes and one-line errors, in process and as a real process.</summary>
public sealed class OptimizeCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-optimize-cli-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void Quantize_reports_each_layer_and_the_bytes_saved()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int code = QuantizeCommand.Run(stdout, stderr, CliTestFiles.TinyMlp, Out("q.pt"), [], [], perChannel: false, weightOnly: null);
        Assert.True(code == ExitCodes.Ok, stderr.ToString());
        string text = stdout.ToString();
        Assert.Contains("layers found from the key pattern: 2 quantized", text);
        Assert.Contains("fc1 ", text);
        Assert.Contains("fc2 ", text);
        Assert.Contains("per_tensor_affine", text);
        Assert.Contains("tensor bytes:", text);
        using var file = PtFile.Open(Out("q.pt"));
        Assert.Contains(file.Globals, g => g == "torch._utils._rebuild_qtensor");
    }

    [Fact]
    public void Prune_reports_sparsity_per_tensor_and_overall()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int code = PruneCommand.Run(stdout, stderr, CliTestFiles.TinyMlp, Out("p.pt"), new PruneCommand.Settings { Amount = "0.5" });
        Assert.True(code == ExitCodes.Ok, stderr.ToString());
        Assert.Contains("fc1.weight", stdout.ToString());
        Assert.Contains("overall: 28 of 56 elements of 2 tensor(s) are zero (50.00 %)", stdout.ToString());
    }

    [Theory]
    [InlineData("--amount", "2.5")]
    [InlineData("--scope", "everything")]
    [InlineData("--structured", "banana")]
    public void Bad_prune_options_exit_1_with_one_line(string option, string value)
    {
        var settings = option switch
        {
            "--amount" => new PruneCommand.Settings { Amount = value },
            "--scope" => new PruneCommand.Settings { Scope = value },
            _ => new PruneCommand.Settings { Structured = value },
        };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Usage, PruneCommand.Run(stdout, stderr, CliTestFiles.TinyMlp, Out("p.pt"), settings));
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
        Assert.Contains(value, stderr.ToString());
        Assert.False(File.Exists(Out("p.pt")));
    }

    [Fact]
    public void Types_names_module_types_and_rejects_others_with_a_usage_error()
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Usage,
            QuantizeCommand.Run(o, e, CliTestFiles.TinyMlp, Out("q.pt"), [], [], false, null, types: "linear,rnn"));
        Assert.Equal("error: --types 'rnn' is not linear, lstm or gru", e.ToString().Trim());
        Assert.False(File.Exists(Out("q.pt")));
        e = new StringWriter();
        Assert.Equal(ExitCodes.Usage, QuantizeCommand.Run(o, e, CliTestFiles.TinyMlp, Out("q.pt"), [], [], false, null,
            types: ","));
        e = new StringWriter();
        Assert.Equal(ExitCodes.Ok, QuantizeCommand.Run(o, e, CliTestFiles.TinyMlp, Out("q.pt"), [], [], false, null,
            types: "LSTM, gru"));
        Assert.Contains("0 quantized", o.ToString());
        Assert.Contains("no nn.Linear, nn.LSTM or nn.GRU layer was found", e.ToString());
    }

    [Fact]
    public void Errors_are_one_line_with_the_documented_exit_codes()
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Unreadable, QuantizeCommand.Run(o, e, Out("missing.pt"), Out("q.pt"), [], [], false, null));
        var garbage = Out("garbage.pt");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8]);
        e = new StringWriter();
        Assert.Equal(ExitCodes.Unreadable, PruneCommand.Run(o, e, garbage, Out("p.pt"), new PruneCommand.Settings()));
        Assert.DoesNotContain("Exception", e.ToString());
        e = new StringWriter();
        Assert.Equal(ExitCodes.Usage, QuantizeCommand.Run(o, e, CliTestFiles.TinyMlp, Out("q.pt"), [], [], false, "int4"));
        e = new StringWriter();
        Assert.Equal(ExitCodes.Usage, QuantizeCommand.Run(o, e, CliTestFiles.TinyMlp, Out("q.safetensors"), [], [], false, null));
        Assert.Contains("--weight-only", e.ToString());
        e = new StringWriter();
        Assert.Equal(ExitCodes.Usage, PruneCommand.Run(o, e, CliTestFiles.TinyMlp, Out("p.pt"), new PruneCommand.Settings { Fold = true, KeepMask = true }));
    }

    [Fact]
    public void The_real_process_quantizes_prunes_and_folds()
    {
        var q = CliProcess.Run(TimeSpan.FromMinutes(2), "quantize", "samples/tiny_mlp.pt", Out("w.safetensors"), "--weight-only", "int8");
        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.Contains("int8_weight_only", q.Stdout);
        var p = CliProcess.Run(TimeSpan.FromMinutes(2), "prune", "samples/tiny_mlp.pt", Out("m.pt"), "--keep-mask", "--structured", "2", "--amount", "0.25");
        Assert.True(p.ExitCode == 0, p.Stderr);
        var f = CliProcess.Run(TimeSpan.FromMinutes(2), "prune", "--fold", Out("m.pt"), Out("f.pt"));
        Assert.True(f.ExitCode == 0, f.Stderr);
        using var folded = PtFile.Open(Out("f.pt"));
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], folded.StateDict.Select(t => t.Name));
        // Two of fc1's 8 output channels are zero after structured pruning.
        var w = folded.StateDict[0].Tensor.ToFloatArray();
        Assert.Equal(2, Enumerable.Range(0, 8).Count(r => w.Skip(r * 4).Take(4).All(x => x == 0)));
    }

    [Fact]
    public void Inspect_folds_pruning_on_request_and_reports_sparsity_with_stats()
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Ok, PruneCommand.Run(o, e, CliTestFiles.TinyMlp, Out("m.pt"), new PruneCommand.Settings { Amount = "0.5", KeepMask = true }));
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Ok, InspectCommand.Run(stdout, stderr, Out("m.pt"), json: true, stats: true, code: false, strict: false, foldPruning: true));
        using var doc = System.Text.Json.JsonDocument.Parse(stdout.ToString());
        var tensors = doc.RootElement.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], tensors.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(0.5, tensors[0].GetProperty("sparsity").GetDouble());
        Assert.Equal(0.5, tensors[2].GetProperty("sparsity").GetDouble());
        Assert.Equal(0.0, tensors[1].GetProperty("sparsity").GetDouble());

        stdout = new StringWriter();
        Assert.Equal(ExitCodes.Ok, InspectCommand.Run(stdout, stderr, Out("m.pt"), json: false, stats: true, code: false, strict: false));
        Assert.Contains("fc1.weight_mask", stdout.ToString());
        Assert.Contains("Sparsity", stdout.ToString());
        Assert.Contains("50.0 %", stdout.ToString());
    }
}
