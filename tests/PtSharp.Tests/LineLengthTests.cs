using PtSharp.Tests.Support;

namespace PtSharp.Tests;

/// <summary>
/// Lines of C# in src/, tests/, bench/, fuzz/ and samples/ are at most 120 characters (.editorconfig
/// <c>max_line_length</c>). Files that were longer when the limit came are listed with their count in
/// tests/line-length-baseline.txt: a listed file may not gain long lines and every other file may have none, so
/// the count only goes down. The build checks the same rule per project (build/LineLength.targets, error
/// PTS0120); this test also covers files no project compiles.
/// </summary>
public sealed class LineLengthTests
{
    internal const int MaxLength = 120;

    internal static string BaselinePath => Path.Combine(RepoPaths.Root, "tests", "line-length-baseline.txt");

    internal static IEnumerable<(string Path, int LongLines)> Count()
    {
        foreach (var top in new[] { "src", "tests", "bench", "fuzz", "samples" })
        {
            string folder = Path.Combine(RepoPaths.Root, top);
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/');
                if (rel.Contains("/obj/", StringComparison.Ordinal) || rel.Contains("/bin/", StringComparison.Ordinal))
                    continue;
                int n = File.ReadLines(file).Count(l => l.Length > MaxLength);
                if (n > 0) yield return (rel, n);
            }
        }
    }

    [Fact]
    public void No_file_gains_lines_over_120_characters()
    {
        var baseline = File.ReadLines(BaselinePath)
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' '))
            .ToDictionary(
                p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture),
                StringComparer.Ordinal);
        var worse = Count().Where(c => c.LongLines > baseline.GetValueOrDefault(c.Path)).ToList();
        Assert.True(worse.Count == 0, "lines over 120 characters (wrap them; the baseline may only go down):\n" +
            string.Join("\n", worse.Select(w =>
                $"{w.Path}: {w.LongLines} (baseline {baseline.GetValueOrDefault(w.Path)})")));
    }
}
