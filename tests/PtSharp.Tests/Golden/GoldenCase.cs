using System.Text.Json;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Golden;

/// <summary>
/// One fixture written by real torch with its expected JSON (made by torch loading the file back). The committed
/// folders are always used; <c>PTSHARP_FIXTURE_DIRS</c> (path-separated) adds freshly regenerated folders (CI).
/// </summary>
public sealed class GoldenCase
{
    public GoldenCase(string fixturePath, string expectedPath)
    {
        FixturePath = fixturePath;
        ExpectedPath = expectedPath;
    }

    public string FixturePath { get; }
    public string ExpectedPath { get; }

    public JsonElement LoadExpected() => JsonDocument.Parse(File.ReadAllBytes(ExpectedPath)).RootElement;

    public override string ToString() => Path.GetRelativePath(RepoPaths.Root, FixturePath);

    public static IEnumerable<string> FixtureDirectories()
    {
        foreach (var sub in new[] { "torch-1.13", "torch-2.6", "handbuilt" })
        {
            var dir = Path.Combine(RepoPaths.Fixtures, sub);
            if (Directory.Exists(dir)) yield return dir;
        }
        var extra = Environment.GetEnvironmentVariable("PTSHARP_FIXTURE_DIRS");
        if (!string.IsNullOrWhiteSpace(extra))
            foreach (var d in extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                if (Directory.Exists(d)) yield return Path.GetFullPath(d);
    }

    public static IEnumerable<object[]> All() =>
        FixtureDirectories()
            .SelectMany(d => Directory.EnumerateFiles(d, "*.expected.json"))
            .Order(StringComparer.Ordinal)
            .Select(e => new object[] { new GoldenCase(e[..^".expected.json".Length], e) });
}
