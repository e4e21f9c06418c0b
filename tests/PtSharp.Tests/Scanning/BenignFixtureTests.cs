using PtSharp.Scanning;
using PtSharp.Tests.Golden;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>Every benign fixture (torch 1.13 and 2.6 files, hand-built files, full models, samples) gives no dangerous finding.</summary>
public sealed class BenignFixtureTests
{
    public static IEnumerable<object[]> Files() =>
        GoldenCase.FixtureDirectories().Append(RepoPaths.Samples)
            .SelectMany(d => Directory.EnumerateFiles(d))
            .Where(f => !f.EndsWith(".json", StringComparison.Ordinal) && !f.EndsWith(".py", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f });

    [Fact]
    public void There_are_benign_fixtures()
    {
        Assert.True(Files().Count() >= 40);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Benign_fixture_has_no_dangerous_finding(string path)
    {
        var r = PtScanner.ScanFile(path);
        Assert.Null(r.Error);
        var bad = r.Findings.Where(f => f.Severity == ScanSeverity.Dangerous).ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad.Select(f => $"{f.Kind} {f.Global} {f.Record}@{f.Offset}: {f.Message}")));
        Assert.False(r.IsMalformed, string.Join("\n", r.Findings.Select(f => f.Message)));
        Assert.True(r.PickleCount >= 1);
        Assert.DoesNotContain(r.Findings, f => f.Kind is ScanFindingKind.CorruptContainer or ScanFindingKind.ZipExtraData or ScanFindingKind.FrameViolation);
    }

    [Fact]
    public void State_dict_fixtures_are_clean_even_in_strict_mode()
    {
        foreach (var name in new[] { "mlp_state_dict.pt", "cnn_bn_state_dict.pt", "dtypes.pt", "legacy_state_dict.pt", "protocol_4.pt" })
        {
            var path = Path.Combine(RepoPaths.Fixtures, "torch-1.13", name);
            var r = PtScanner.ScanFile(path);
            Assert.True(r.IsClean && !r.HasWarnings, name + ": " + string.Join("; ", r.Findings.Select(f => f.Message)));
        }
    }

    [Fact]
    public void Full_models_are_unknown_not_dangerous()
    {
        var r = PtScanner.ScanFile(Path.Combine(RepoPaths.Fixtures, "torch-1.13", "full_model_torchvision_basicblock.pt"));
        Assert.Contains(r.Globals, g => g.FullName == "torchvision.models.resnet.BasicBlock" && g.Verdict == GlobalVerdict.Unknown);
        Assert.True(r.IsClean);
        Assert.False(r.IsClean && !r.HasWarnings);
    }
}
