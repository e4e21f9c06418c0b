using PtSharp.Scanning;
using Spectre.Console;

namespace PtSharp.Cli.Output;

/// <summary>
/// The human-readable form of <c>pt scan</c>: a verdict line per file, then for files with warnings or dangerous
/// findings a table with one row per finding kind (its count, the globals involved, where it first occurs), or with
/// <c>verbose</c> one row per finding; then a summary line. Clean files are one line each unless <c>verbose</c>.
/// </summary>
internal static class ScanTable
{
    private const int GlobalsShown = 4;

    /// <summary>Renders every report (no colors) to fit <paramref name="width"/> columns.</summary>
    public static string Render(IReadOnlyList<ScanReport> reports, bool strict, bool verbose = false, int width = TerminalWidth.Unlimited)
    {
        var sw = new StringWriter();
        foreach (var r in reports)
        {
            bool quietClean = !verbose && r.Unreadable is null && r.Findings.All(f => f.Severity == ScanSeverity.Info);
            sw.WriteLine(VerdictLine(r, strict, quietClean));
            if (quietClean) continue;
            if (r.Findings.Count > 0) (verbose ? EveryFinding(r) : FindingsByKind(r)).Write(sw, width);
            sw.WriteLine();
        }
        int dangerous = reports.Count(r => r.IsDangerous);
        int warned = reports.Count(r => !r.IsDangerous && r.Findings.Any(f => f.Severity == ScanSeverity.Warning));
        int errors = reports.Count(r => !r.IsDangerous && r.Unreadable is not null);
        if (!verbose && reports.Count > 0 && reports[^1].Findings.All(f => f.Severity == ScanSeverity.Info)) sw.WriteLine();
        sw.WriteLine($"{reports.Count} file(s) scanned: {dangerous} dangerous, {warned} with warnings{(strict ? " (failing: --strict)" : "")}, {errors} unreadable");
        return string.Join('\n', sw.ToString().ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n') + Environment.NewLine;
    }

    private static string VerdictLine(ScanReport r, bool strict, bool oneLine)
    {
        string line = $"{Display.Safe(r.Path)}: {Verdict(r, strict)} ({ScanNames.Container(r.Container)}, {r.PickleCount} pickle(s){(r.IsMalformed ? ", malformed" : "")})";
        // A clean file's notes (not a PyTorch file, trailing bytes...) fit on its line.
        if (oneLine && r.Findings.Count > 0)
            line += " note: " + Display.Safe(r.Findings[0].Message) + (r.Findings.Count > 1 ? $" (+{r.Findings.Count - 1} more, --verbose)" : "");
        return line;
    }

    private static TextTable FindingsByKind(ScanReport r)
    {
        var table = new TextTable().Column("Severity").Column("Kind").Column("Count", right: true)
            .Column("Globals", wrap: true).Column("First at", wrap: true).Column("Message (first)", wrap: true);
        var groups = r.Findings
            .GroupBy(f => (f.Severity, f.Kind))
            .OrderByDescending(g => g.Key.Severity).ThenBy(g => g.Key.Kind);
        foreach (var g in groups)
        {
            var first = g.First();
            var globals = g.Select(f => f.Global).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            string shown = string.Join(", ", globals.Take(GlobalsShown)) + (globals.Count > GlobalsShown ? $", +{globals.Count - GlobalsShown} more" : "");
            string at = (first.Record ?? "") + (first.Offset is long o ? "@" + o.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            table.Row(ScanNames.Severity(g.Key.Severity), ScanNames.Kind(g.Key.Kind),
                g.Count().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Display.Safe(shown), Display.Safe(at), Display.Safe(first.Message));
        }
        return table;
    }

    private static TextTable EveryFinding(ScanReport r)
    {
        var table = new TextTable().Column("Severity").Column("Kind").Column("Global", wrap: true).Column("Record", wrap: true)
            .Column("Offset", right: true).Column("Message", wrap: true);
        foreach (var f in r.Findings)
            table.Row(ScanNames.Severity(f.Severity), ScanNames.Kind(f.Kind), Display.Safe(f.Global ?? ""), Display.Safe(f.Record ?? ""),
                f.Offset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", Display.Safe(f.Message));
        return table;
    }

    private static string Verdict(ScanReport r, bool strict) =>
        r.Error is not null ? "ERROR " + r.Error
        : r.IsDangerous ? "DANGEROUS"
        : r.Unreadable is { } why ? "UNREADABLE " + why
        : r.Findings.Any(f => f.Severity == ScanSeverity.Warning) ? (strict ? "WARNINGS (failing with --strict)" : "warnings")
        : "clean";
}

/// <summary>Lower-case names used in every output format.</summary>
internal static class ScanNames
{
    public static string Severity(ScanSeverity s) => s switch
    {
        ScanSeverity.Dangerous => "dangerous",
        ScanSeverity.Warning => "warning",
        _ => "info",
    };

    public static string Verdict(GlobalVerdict v) => v switch
    {
        GlobalVerdict.Dangerous => "dangerous",
        GlobalVerdict.Unknown => "unknown",
        _ => "safe",
    };

    public static string Container(ScanContainer c) => c switch
    {
        ScanContainer.TorchZip => "torch zip",
        ScanContainer.Zip => "zip",
        ScanContainer.LegacyStream => "legacy stream",
        ScanContainer.LegacyTar => "legacy tar",
        ScanContainer.Pickle => "pickle",
        ScanContainer.Npy => "npy",
        ScanContainer.Safetensors => "safetensors",
        ScanContainer.Unscannable => "unscannable",
        _ => "unknown",
    };

    /// <summary>kebab-case of the finding kind, e.g. <c>dangerous-global</c>; also the SARIF rule id.</summary>
    public static string Kind(ScanFindingKind k)
    {
        var s = k.ToString();
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(s[i]));
        }
        return sb.ToString();
    }
}
