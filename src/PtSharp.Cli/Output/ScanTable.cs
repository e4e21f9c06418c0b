using PtSharp.Scanning;
using Spectre.Console;

namespace PtSharp.Cli.Output;

/// <summary>The human-readable form of <c>pt scan</c>: a verdict line and a findings table per file, then a summary.</summary>
internal static class ScanTable
{
    /// <summary>Renders every report (no colors, no width limit).</summary>
    public static string Render(IReadOnlyList<ScanReport> reports, bool strict)
    {
        var sw = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(sw),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 4096;
        foreach (var r in reports)
        {
            console.Write(new Text($"{Display.Safe(r.Path)}: {Verdict(r, strict)} ({ScanNames.Container(r.Container)}, {r.PickleCount} pickle(s){(r.IsMalformed ? ", malformed" : "")})"));
            console.WriteLine();
            if (r.Findings.Count > 0)
            {
                var table = new Table().Border(TableBorder.Simple);
                table.AddColumns("Severity", "Kind", "Global", "Record", "Offset", "Message");
                foreach (var f in r.Findings)
                    table.AddRow(
                        new Text(ScanNames.Severity(f.Severity)), new Text(ScanNames.Kind(f.Kind)), new Text(Display.Safe(f.Global ?? "")),
                        new Text(Display.Safe(f.Record ?? "")), new Text(f.Offset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                        new Text(Display.Safe(f.Message)));
                console.Write(table);
            }
            console.WriteLine();
        }
        int dangerous = reports.Count(r => r.IsDangerous);
        int warned = reports.Count(r => !r.IsDangerous && r.Findings.Any(f => f.Severity == ScanSeverity.Warning));
        int errors = reports.Count(r => !r.IsDangerous && r.Unreadable is not null);
        console.Write(new Text($"{reports.Count} file(s) scanned: {dangerous} dangerous, {warned} with warnings{(strict ? " (failing: --strict)" : "")}, {errors} unreadable"));
        console.WriteLine();
        return string.Join('\n', sw.ToString().ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n') + Environment.NewLine;
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
