using System.Text.Json;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary>End-to-end: runs the built CLI as a separate process (<see cref="CliProcess"/>).</summary>
public sealed class CliProcessTests
{
    private static CliProcess.Result RunPt(params string[] args) => CliProcess.Run(TimeSpan.FromSeconds(60), args);

    [Fact]
    public void Inspect_json_prints_one_document_and_exits_0()
    {
        var r = RunPt("inspect", "samples/tiny_mlp.pt", "--json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("samples/tiny_mlp.pt", root.GetProperty("path").GetString());
        Assert.Equal("zip", root.GetProperty("format").GetString());
        Assert.Equal("state_dict", root.GetProperty("kind").GetString());
        Assert.Equal(67, root.GetProperty("parameter_count").GetInt64());
        Assert.Equal(
            ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            root.GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToArray());
    }

    [Fact]
    public void Inspect_json_stats_in_a_process()
    {
        var r = RunPt("inspect", "samples/tiny_mlp.pt", "--json", "--stats");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var stats = doc.RootElement.GetProperty("tensors")[0].GetProperty("stats");
        // torch 1.13: fc1.weight.min() (exact) and math.fsum of its values.
        Assert.Equal(-0.47102075815200806, stats.GetProperty("min").GetDouble());
        Assert.Equal(-0.4838166832923889, stats.GetProperty("sum").GetDouble(), 12);
    }

    [Fact]
    public void Missing_file_is_one_stderr_line_and_exit_2()
    {
        var r = RunPt("inspect", "samples/does-not-exist.pt", "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal("error: no such file: samples/does-not-exist.pt", r.Stderr.TrimEnd());
    }

    [Fact]
    public void Bad_usage_is_exit_1()
    {
        Assert.Equal(1, RunPt("inspect").ExitCode);
        Assert.Equal(1, RunPt("inspect", "samples/tiny_mlp.pt", "--no-such-option").ExitCode);
        Assert.Equal(1, RunPt("no-such-command").ExitCode);
    }

    [Fact]
    public void Help_describes_inspect()
    {
        var r = RunPt("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("inspect", r.Stdout, StringComparison.Ordinal);
        var sub = RunPt("inspect", "--help");
        Assert.Equal(0, sub.ExitCode);
        foreach (var option in new[] { "--json", "--stats", "--code", "--strict" })
            Assert.Contains(option, sub.Stdout, StringComparison.Ordinal);
    }
}
