using System.Diagnostics;
using System.Text.Json;
using PtSharp.Cli.Commands;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Attacks;

/// <summary>
/// The project's malicious corpus (<c>tests/malicious</c>, written by <c>generate.py</c>): every file is flagged
/// by the scanner with the findings its manifest names, and reading it never runs anything — each load ends in a
/// result or a <see cref="PtFormatException"/>, and no marker file (<c>/tmp/ptsharp-pwned-*</c>) ever appears.
/// </summary>
public sealed class MaliciousCorpusTests
{
    private static readonly string Folder = Path.Combine(RepoPaths.Root, "tests", "malicious");
    private const string MarkerPrefix = "ptsharp-pwned-";

    private sealed record Case(string File, string Mechanism, string[] Expect);

    private static List<Case> Manifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.GetProperty("files").EnumerateArray()
            .Select(f => new Case(f.GetProperty("file").GetString()!, f.GetProperty("mechanism").GetString()!,
                f.GetProperty("expect").EnumerateArray().Select(e => e.GetString()!).ToArray()))
            .ToList();
    }

    public static IEnumerable<object[]> Files() => Manifest().Select(c => new object[] { c.File });

    private static string[] Markers() =>
        Directory.EnumerateFiles(Path.GetTempPath(), MarkerPrefix + "*").Concat(Directory.EnumerateFiles("/tmp", MarkerPrefix + "*")).Distinct().ToArray();

    [Fact]
    public void Corpus_covers_every_mechanism_and_zip_trick_and_stays_small()
    {
        var cases = Manifest();
        Assert.True(cases.Count >= 50, $"{cases.Count} cases");
        long total = cases.Sum(c => new FileInfo(Path.Combine(Folder, c.File)).Length);
        Assert.True(total < 1 << 20, $"corpus is {total} bytes");
        string all = string.Join("\n", cases.Select(c => c.Mechanism + " " + string.Join(",", c.Expect)));
        foreach (var needle in new[] { "os.system", "builtins.eval", "runpy", "pip.main", "subprocess", "getattr", "pickle.loads", "torch.load",
                     "invalid opcode", "FRAME", "STACK_GLOBAL", "INST", "OBJ", "legacy stream", "legacy tar", "text name", ".npy", ".npz",
                     "7z", "zip-name-mismatch", "zip-duplicate-name", "zip-overlap", "zip-out-of-directory", "zip-encrypted", "zip-prefix-mismatch",
                     "zip-extra-data", "zip-bomb", "unscannable", "nested-pickle", "unresolvable-global", "indirect-call", "a benign pickle followed" })
            Assert.True(all.Contains(needle, StringComparison.Ordinal), $"no case covers '{needle}'");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Scanner_flags_the_file_with_the_expected_findings(string file)
    {
        var c = Manifest().Single(x => x.File == file);
        var r = PtScanner.ScanFile(Path.Combine(Folder, file));
        Assert.Null(r.Error);
        Assert.True(r.IsDangerous, $"{file} ({c.Mechanism}) is not flagged dangerous: {string.Join("; ", r.Findings.Select(f => f.Message))}");
        var kinds = r.Findings.Where(f => f.Severity > ScanSeverity.Info).Select(f => f.Kind.ToString()).ToHashSet();
        foreach (var expected in c.Expect)
        {
            string kind = string.Concat(expected.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
            Assert.True(kinds.Contains(kind), $"{file}: expected a {expected} finding, got {string.Join(", ", kinds)}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Loading_and_inspecting_ends_in_a_result_or_a_PtFormatException_and_runs_nothing(string file)
    {
        foreach (var m in Markers()) File.Delete(m);
        string path = Path.Combine(Folder, file);
        foreach (bool strict in new[] { false, true })
        {
            try
            {
                using var f = PtFile.Open(path, new PtLoadOptions { Strict = strict });
                _ = f.Tensors.Count;
                _ = f.StateDict.Count;
                Assert.False(strict && f.Globals.Any(g => ScanPolicy.Classify(g[..g.LastIndexOf('.')], g[(g.LastIndexOf('.') + 1)..]).Verdict == GlobalVerdict.Dangerous),
                    "strict mode admitted a dangerous global");
            }
            catch (PtFormatException) { }
        }
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = InspectCommand.Run(stdout, stderr, path, json: true, stats: true, code: true, strict: false);
        Assert.True(rc is 0 or 2, $"inspect exit {rc}");
        Assert.DoesNotContain("internal error", stderr.ToString());
        Assert.Empty(Markers());
    }

    [Fact]
    public void Generator_reproduces_the_committed_corpus()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            Assert.False(RepoPaths.IsCi, "python3 is required under CI");
            return;
        }
        var outDir = Path.Combine(Path.GetTempPath(), "ptsharp-malicious-" + Guid.NewGuid().ToString("N"));
        try
        {
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(Path.Combine(Folder, "generate.py"));
            psi.ArgumentList.Add(outDir);
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(60_000));
            Assert.True(p.ExitCode == 0, err);
            foreach (var c in Manifest())
                Assert.True(File.ReadAllBytes(Path.Combine(outDir, c.File)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(Folder, c.File))),
                    $"{c.File} differs from what generate.py writes; rerun /usr/bin/python3 tests/malicious/generate.py");
            Assert.Empty(Markers());
        }
        finally { if (Directory.Exists(outDir)) Directory.Delete(outDir, true); }
    }
}
