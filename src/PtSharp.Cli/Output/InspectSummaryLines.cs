using PtSharp.Loading;

namespace PtSharp.Cli.Output;

/// <summary><c>pt inspect A B C</c>: one aligned line per file, like <c>ls -l</c> (format, kind, tensors, elements, bytes).</summary>
internal static class InspectSummaryLines
{
    /// <summary>One line per opened checkpoint (path as given), or the error line for one that did not open.</summary>
    public static string Render(IReadOnlyList<(string Path, Checkpoint? File, string? Error)> files)
    {
        var rows = files.Select(f => f.File is { } c
            ? new[]
            {
                c.Format.Name(), c.Kind.Name(), Display.Count(c.Tensors.Count) + " tensors",
                Display.Count(c.ParameterCount.Total) + " elements", Display.Bytes(c.ParameterCount.Bytes), Display.Safe(f.Path),
            }
            : ["error", "", "", "", "", Display.Safe(f.Path) + ": " + f.Error]).ToList();
        var widths = Enumerable.Range(0, 5).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new System.Text.StringBuilder();
        foreach (var r in rows)
        {
            for (int i = 0; i < 5; i++) sb.Append(i is 2 or 3 or 4 ? r[i].PadLeft(widths[i]) : r[i].PadRight(widths[i])).Append("  ");
            sb.Append(r[5]).AppendLine();
        }
        return string.Join('\n', sb.ToString().ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n') + Environment.NewLine;
    }
}
