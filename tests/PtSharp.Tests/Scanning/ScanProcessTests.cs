using System.Text.Json;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>End to end: <c>pt scan</c> as a separate process, for its exit codes and its one JSON document.</summary>
public sealed class ScanProcessTests
{
    private static CliProcess.Result RunPt(params string[] args) => CliProcess.Run(TimeSpan.FromSeconds(120), args);

    [Fact]
    public void Exit_codes_are_0_clean_1_dangerous_2_error()
    {
        Assert.Equal(0, RunPt("scan", "samples/tiny_mlp.pt").ExitCode);
        Assert.Equal(1, RunPt("scan", "tests/malicious/os_system.pt").ExitCode);
        Assert.Equal(2, RunPt("scan", "tests/does-not-exist.pt").ExitCode);
        Assert.Equal(1, RunPt("scan", "--strict", "tests/fixtures/torch-1.13/full_model_user.pt").ExitCode);
    }

    [Fact]
    public void Whole_malicious_corpus_is_dangerous_in_one_json_document()
    {
        var (rc, stdout, stderr) = RunPt("scan", "-r", "tests/malicious", "--json");
        Assert.Equal(1, rc);
        Assert.Equal("", stderr);
        using var doc = JsonDocument.Parse(stdout);
        foreach (var f in doc.RootElement.GetProperty("files").EnumerateArray())
        {
            string path = f.GetProperty("path").GetString()!;
            if (path.EndsWith(".py", StringComparison.Ordinal) || path.EndsWith(".json", StringComparison.Ordinal)) continue;
            Assert.True(f.GetProperty("verdict").GetString() == "dangerous", $"{path} is {f.GetProperty("verdict").GetString()}");
        }
    }
}
