using System.Text.Json;
using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Tests.Golden;
using PtSharp.Tests.Support;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Interop;

/// <summary>
/// Reads every golden fixture with PtSharp, writes it back with <see cref="PtWriter"/>, and has real torch load the
/// written file (weights_only=True where the original allowed it, mmap=True on 2.6) and describe it exactly as it
/// described the original. One torch process per oracle checks the whole batch.
/// </summary>
public sealed class WrittenFilesLoadInTorchTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Rewritten_fixtures_load_in_torch_with_the_same_values(string version)
    {
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped (run tools/setup-oracles.sh)");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-interop-");
        try
        {
            var manifest = new List<Dictionary<string, string>>();
            foreach (var golden in GoldenCase.All().Select(c => (GoldenCase)c[0]).Where(c => OracleOf(c) == version))
            {
                var expected = golden.LoadExpected();
                if (expected.TryGetProperty("error", out _)) continue;
                using var file = PtFile.Open(golden.FixturePath);
                string written = Path.Combine(work.FullName, $"{manifest.Count:D3}_{Path.GetFileName(golden.FixturePath)}");
                string mode = "full";
                if (file.Format == PtFormat.TorchScript)
                {
                    mode = "state_dict";
                    PtWriter.SaveStateDict(written, file.StateDict.Select(t => new NamedTensor(t.Name, t.Tensor.Detach())));
                }
                else PtWriter.Save(written, file.Root);
                manifest.Add(new() { ["written"] = written, ["expected"] = golden.ExpectedPath, ["mode"] = mode });
            }
            Assert.NotEmpty(manifest);
            string manifestPath = Path.Combine(work.FullName, "manifest.json");
            string resultsPath = Path.Combine(work.FullName, "results.json");
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
            var (code, stdout, stderr) = Oracle.Run(version,
                [Path.Combine(RepoPaths.Root, "tests", "interop", "verify_written.py"), manifestPath, resultsPath], TimeSpan.FromMinutes(15));
            Assert.True(code == 0, $"verify_written.py failed ({code}): {stderr}\n{stdout}");

            var results = JsonDocument.Parse(File.ReadAllBytes(resultsPath)).RootElement.GetProperty("results");
            var failures = new List<string>();
            foreach (var r in results.EnumerateArray())
            {
                var problems = r.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
                if (problems.Count > 0) failures.Add($"{Path.GetFileName(r.GetProperty("written").GetString())}: {string.Join("; ", problems.Take(5))}");
            }
            output.WriteLine($"{results.GetArrayLength()} files checked by torch {version}");
            foreach (var f in failures) output.WriteLine(f);
            Assert.True(failures.Count == 0, $"{failures.Count} of {results.GetArrayLength()} written files differ in torch {version}:\n" + string.Join("\n", failures.Take(40)));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Fixtures are checked by the torch that described them: torch-1.13 folders by 1.13, the rest by 2.6.</summary>
    private static string OracleOf(GoldenCase c) =>
        Path.GetFileName(Path.GetDirectoryName(c.FixturePath))!.Contains("1.13", StringComparison.Ordinal) ? "1.13" : "2.6";
}
