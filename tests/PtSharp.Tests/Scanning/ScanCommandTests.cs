using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>In-process tests of <c>pt scan</c> (<see cref="ScanCommand.Run"/>): outputs and exit codes.</summary>
public sealed class ScanCommandTests
{
    private sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static Result Run(string[] paths, bool json = false, string? sarif = null, bool strict = false, bool recursive = false, string[]? allow = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = ScanCommand.Run(stdout, stderr, paths, json, sarif, strict, recursive, allow ?? []);
        return new Result(rc, stdout.ToString(), stderr.ToString());
    }

    private static string Malicious(string name) => Path.Combine(RepoPaths.Root, "tests", "malicious", name);
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "torch-1.13", name);

    [Fact]
    public void Clean_state_dict_exits_0_with_a_table()
    {
        var r = Run([Fixture("mlp_state_dict.pt")]);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Contains("mlp_state_dict.pt: clean (torch zip, 1 pickle(s))", r.Stdout);
        Assert.Contains("1 file(s) scanned: 0 dangerous", r.Stdout);
    }

    [Fact]
    public void Dangerous_file_exits_1_and_names_the_global()
    {
        var r = Run([Malicious("os_system.pt")]);
        Assert.Equal(ExitCodes.ScanDangerous, r.ExitCode);
        Assert.Contains("DANGEROUS", r.Stdout);
        Assert.Contains("os.system", r.Stdout);
        Assert.Contains("dangerous-global", r.Stdout);
    }

    [Fact]
    public void Unknown_globals_fail_only_with_strict()
    {
        var path = Fixture("full_model_user.pt");
        Assert.Equal(ExitCodes.Ok, Run([path]).ExitCode);
        Assert.Equal(ExitCodes.ScanDangerous, Run([path], strict: true).ExitCode);
    }

    [Fact]
    public void Allow_option_extends_the_allowlist_for_strict_mode()
    {
        var path = Fixture("checkpoint_adam.pt");
        Assert.Equal(ExitCodes.ScanDangerous, Run([path], strict: true).ExitCode);
        Assert.Equal(ExitCodes.Ok, Run([path], strict: true, allow: ["argparse.Namespace", "builtins.frozenset"]).ExitCode);
    }

    [Fact]
    public void Missing_path_exits_2_with_one_stderr_line()
    {
        var r = Run(["/nonexistent/ptsharp.pt"]);
        Assert.Equal(ExitCodes.ScanError, r.ExitCode);
        Assert.Equal("error: no such file or directory: /nonexistent/ptsharp.pt", r.Stderr.Trim());
    }

    [Fact]
    public void Dangerous_wins_over_errors()
    {
        Assert.Equal(ExitCodes.ScanDangerous, Run([Malicious("os_system.pt"), "/nonexistent/ptsharp.pt"]).ExitCode);
    }

    [Fact]
    public void Folder_is_scanned_flat_or_recursively()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ptsharp-scan-dir-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        try
        {
            File.Copy(Fixture("mlp_state_dict.pt"), Path.Combine(dir, "a.pt"));
            File.Copy(Malicious("posix_system.pt"), Path.Combine(dir, "sub", "b.bin"));
            Assert.Equal(ExitCodes.Ok, Run([dir]).ExitCode);
            var r = Run([dir], recursive: true, json: true);
            Assert.Equal(ExitCodes.ScanDangerous, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal(2, doc.RootElement.GetProperty("summary").GetProperty("files").GetInt32());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Json_is_one_document_with_globals_and_findings()
    {
        var r = Run([Malicious("nested_pickle_loads.pt"), Fixture("mlp_state_dict.pt")], json: true);
        Assert.Equal(ExitCodes.ScanDangerous, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var files = doc.RootElement.GetProperty("files");
        Assert.Equal(2, files.GetArrayLength());
        var evil = files.EnumerateArray().Single(f => f.GetProperty("path").GetString()!.EndsWith("nested_pickle_loads.pt"));
        Assert.Equal("dangerous", evil.GetProperty("verdict").GetString());
        Assert.Contains(evil.GetProperty("globals").EnumerateArray(), g => g.GetProperty("global").GetString() == "os.system" && g.GetProperty("verdict").GetString() == "dangerous");
        Assert.Contains(evil.GetProperty("findings").EnumerateArray(), f => f.GetProperty("kind").GetString() == "nested-pickle");
        var clean = files.EnumerateArray().Single(f => f.GetProperty("path").GetString()!.EndsWith("mlp_state_dict.pt"));
        Assert.Equal("clean", clean.GetProperty("verdict").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("summary").GetProperty("dangerous").GetInt32());
    }

    [Fact]
    public void Sarif_log_follows_the_2_1_0_shape()
    {
        var sarif = Path.Combine(Path.GetTempPath(), $"ptsharp-{Guid.NewGuid():N}.sarif");
        try
        {
            var r = Run([Malicious("getattr_chain.pt"), Malicious("zip_data_after.pt")], sarif: sarif);
            Assert.Equal(ExitCodes.ScanDangerous, r.ExitCode);
            using var doc = JsonDocument.Parse(File.ReadAllText(sarif));
            var root = doc.RootElement;
            Assert.Equal("2.1.0", root.GetProperty("version").GetString());
            Assert.Contains("sarif", root.GetProperty("$schema").GetString());
            var run = Assert.Single(root.GetProperty("runs").EnumerateArray());
            var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(x => x.GetProperty("id").GetString()).ToList();
            var results = run.GetProperty("results").EnumerateArray().ToList();
            Assert.NotEmpty(results);
            foreach (var res in results)
            {
                var id = res.GetProperty("ruleId").GetString();
                Assert.Equal(id, rules[res.GetProperty("ruleIndex").GetInt32()]);
                Assert.Contains(res.GetProperty("level").GetString(), new[] { "error", "warning", "note" });
                Assert.False(string.IsNullOrEmpty(res.GetProperty("message").GetProperty("text").GetString()));
                var loc = Assert.Single(res.GetProperty("locations").EnumerateArray());
                Assert.EndsWith(".pt", loc.GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString());
            }
            Assert.Contains(results, x => x.GetProperty("ruleId").GetString() == "indirect-call" && x.GetProperty("level").GetString() == "error");
            Assert.Contains(results, x => x.GetProperty("ruleId").GetString() == "zip-extra-data" && x.GetProperty("level").GetString() == "warning");
        }
        finally { File.Delete(sarif); }
    }
}
