using System.Text.Json;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Optimization;

/// <summary>
/// Runs one oracle script (tests/interop/verify_*.py) under a real torch: the script builds seeded models, runs the
/// real <c>pt</c> process on the files it saved, checks the outputs with torch, and answers with a list of named
/// checks. One Python process per call.
/// </summary>
internal static class TorchOracleChecks
{
    /// <summary>The command that runs the built CLI, as a JSON list (the same dotnet host the tests run under).</summary>
    public static string PtCommandJson()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "pt.dll");
        Assert.True(File.Exists(dll), $"{dll} not found; the test project should copy the CLI's output");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return JsonSerializer.Serialize(new[] { host, "exec", dll });
    }

    /// <summary>Runs <paramref name="script"/>; returns false (after logging) when the oracle is missing outside CI.</summary>
    public static bool TryRun(string version, string script, ITestOutputHelper output, out List<(string Name, bool Ok, string Detail)> checks)
    {
        checks = [];
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped (run tools/setup-oracles.sh)");
            return false;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-optimize-");
        try
        {
            string results = Path.Combine(work.FullName, "results.json");
            var (code, stdout, stderr) = Oracle.Run(version,
                [Path.Combine(RepoPaths.Root, "tests", "interop", script), PtCommandJson(), work.FullName, results], TimeSpan.FromMinutes(10));
            Assert.True(code == 0, $"{script} failed ({code}): {stderr}\n{stdout}");
            var root = JsonDocument.Parse(File.ReadAllBytes(results)).RootElement;
            output.WriteLine($"torch {root.GetProperty("torch").GetString()}");
            foreach (var c in root.GetProperty("checks").EnumerateArray())
            {
                var item = (c.GetProperty("name").GetString()!, c.GetProperty("ok").GetBoolean(), c.GetProperty("detail").GetString() ?? "");
                checks.Add(item);
                output.WriteLine($"{(item.Item2 ? "ok  " : "FAIL")} {item.Item1}: {item.Item3}");
            }
            return true;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Asserts every check passed and that each of <paramref name="required"/> was made.</summary>
    public static void AssertAll(List<(string Name, bool Ok, string Detail)> checks, params string[] required)
    {
        foreach (var name in required) Assert.Contains(checks, c => c.Name == name);
        var failed = checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {checks.Count} checks failed:\n" + string.Join("\n", failed));
    }
}
