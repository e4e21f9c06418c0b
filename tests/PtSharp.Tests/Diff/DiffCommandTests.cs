using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Diff;

/// <summary><c>pt diff</c>: exit codes 0/1/2, text and JSON output, any pair of formats.</summary>
public sealed class DiffCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-diff-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_dir.FullName, name);

    private static (int Code, string Stdout, string Stderr) Diff(string a, string b, double atol = 0, double rtol = 0, bool json = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = DiffCommand.Run(stdout, stderr, a, b, atol, rtol, json);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Fixture(string relative) => Path.Combine(RepoPaths.Fixtures, relative);

    [Fact]
    public void A_pt_equals_its_safetensors_conversion()
    {
        var pt = Fixture("torch-2.6/cnn_bn_state_dict.pt");
        using (var f = PtFile.Open(pt)) SafetensorsWriter.Save(Out("cnn.safetensors"), f.StateDict);
        var (code, stdout, stderr) = Diff(pt, Out("cnn.safetensors"));
        Assert.True(code == ExitCodes.Ok, stderr + stdout);
        Assert.Contains("result: equal", stdout);
        Assert.Contains("(safetensors, 9 tensors)", stdout);
    }

    [Fact]
    public void Different_values_exit_1_and_are_reported_per_key()
    {
        SafetensorsWriter.Save(Out("a.safetensors"), [new("w", PtTensor.FromArray(new[] { 1f, 2 }, [2])), new("only_a", PtTensor.Scalar(1f))]);
        SafetensorsWriter.Save(Out("b.safetensors"), [new("w", PtTensor.FromArray(new[] { 1f, 2.5f }, [2])), new("only_b", PtTensor.Scalar(1f))]);
        var (code, stdout, _) = Diff(Out("a.safetensors"), Out("b.safetensors"));
        Assert.Equal(ExitCodes.DiffDifferent, code);
        Assert.Contains("only in A (1):", stdout);
        Assert.Contains("only_b", stdout);
        Assert.Contains("different values (1):", stdout);
        Assert.Contains("0.5", stdout);
        Assert.Contains("1/2", stdout);
    }

    [Fact]
    public void Tolerances_make_close_values_equal()
    {
        SafetensorsWriter.Save(Out("a.safetensors"), [new("w", PtTensor.FromArray(new[] { 1f }, [1]))]);
        SafetensorsWriter.Save(Out("b.safetensors"), [new("w", PtTensor.FromArray(new[] { 1.001f }, [1]))]);
        Assert.Equal(ExitCodes.DiffDifferent, Diff(Out("a.safetensors"), Out("b.safetensors")).Code);
        Assert.Equal(ExitCodes.Ok, Diff(Out("a.safetensors"), Out("b.safetensors"), atol: 0.01).Code);
        Assert.Equal(ExitCodes.Ok, Diff(Out("a.safetensors"), Out("b.safetensors"), rtol: 0.01).Code);
    }

    [Fact]
    public void Json_is_one_parseable_document()
    {
        SafetensorsWriter.Save(Out("a.safetensors"), [new("w", PtTensor.FromArray(new[] { 1f, 0 }, [2]))]);
        SafetensorsWriter.Save(Out("b.safetensors"), [new("w", PtTensor.FromArray(new[] { 1f, 2 }, [2]))]);
        var (code, stdout, _) = Diff(Out("a.safetensors"), Out("b.safetensors"), json: true);
        Assert.Equal(ExitCodes.DiffDifferent, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.False(root.GetProperty("equal").GetBoolean());
        var t = root.GetProperty("tensors")[0];
        Assert.Equal("w", t.GetProperty("key").GetString());
        Assert.Equal(2.0, t.GetProperty("max_abs_diff").GetDouble());
        Assert.Equal(1.0, t.GetProperty("max_rel_diff").GetDouble());
        Assert.Equal(1, t.GetProperty("mismatched").GetInt64());
        Assert.Equal("safetensors", root.GetProperty("a").GetProperty("format").GetString());
    }

    [Fact]
    public void Infinite_differences_are_strings_in_json()
    {
        SafetensorsWriter.Save(Out("a.safetensors"), [new("w", PtTensor.FromArray(new[] { 1f }, [1]))]);
        SafetensorsWriter.Save(Out("b.safetensors"), [new("w", PtTensor.FromArray(new[] { 0f }, [1]))]);
        var root = JsonDocument.Parse(Diff(Out("a.safetensors"), Out("b.safetensors"), json: true).Stdout).RootElement;
        Assert.Equal("inf", root.GetProperty("tensors")[0].GetProperty("max_rel_diff").GetString());
    }

    [Fact]
    public void Unreadable_or_missing_files_exit_2_with_one_line()
    {
        File.WriteAllBytes(Out("bad.pt"), [1, 2, 3]);
        var (code, stdout, stderr) = Diff(Out("bad.pt"), Fixture("torch-2.6/mlp_state_dict.pt"));
        Assert.Equal(ExitCodes.DiffTrouble, code);
        Assert.Empty(stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Equal(ExitCodes.DiffTrouble, Diff(Out("missing.pt"), Out("bad.pt")).Code);
        Assert.Equal(ExitCodes.DiffTrouble, Diff(Fixture("torch-2.6/mlp_state_dict.pt"), Fixture("torch-2.6/mlp_state_dict.pt"), atol: -1).Code);
    }

    [Fact]
    public void The_same_model_saved_by_two_torch_versions_is_equal()
    {
        var (code, stdout, _) = Diff(Fixture("torch-1.13/views.pt"), Fixture("torch-2.6/views.pt"));
        Assert.True(code == ExitCodes.Ok, stdout);
    }
}
