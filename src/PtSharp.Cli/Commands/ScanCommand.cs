using System.CommandLine;
using PtSharp.Cli.Options;
using PtSharp.Cli.Output;
using PtSharp.Scanning;

namespace PtSharp.Cli.Commands;

/// <summary><c>pt scan PATH... [--json] [--sarif FILE] [--strict] [-r] [--allow GLOBAL]</c>: static security scan.</summary>
internal static class ScanCommand
{
    /// <summary>Creates the <c>scan</c> command.</summary>
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files or folders to scan (folders: their files; with -r, recursively).", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON document (and nothing else) to stdout instead of tables." };
        var sarif = new Option<string?>("--sarif") { Description = "Also write a SARIF 2.1.0 log to FILE, for code-scanning pipelines ('-': to stdout, instead of the report).", HelpName = "FILE" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Every finding on its own row, and clean files' notes in a table (default: one row per finding kind with a count; clean files one line)." };
        var output = OutputFile.CreateOption("the report (tables or --json)");
        var strict = new Option<bool>("--strict") { Description = "Fail (exit 1) on warnings too: unknown globals, malformed pickles, container oddities." };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Scan folders recursively." };
        var allow = new Option<string[]>("--allow") { Description = "Treat GLOBAL (module.name) as safe; repeatable. Denylisted globals stay dangerous.", HelpName = "GLOBAL", AllowMultipleArgumentsPerToken = false };
        var command = new Command("scan", "Statically scan pickle-based model files for code execution and scanner-evasion tricks. Nothing is executed. Exit 0 clean, 1 dangerous, 2 unreadable or error.")
        {
            paths, json, sarif, strict, recursive, allow, verbose, output,
        };
        command.SetAction(parse => Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(paths) ?? [],
            parse.GetValue(json),
            parse.GetValue(sarif),
            parse.GetValue(strict),
            parse.GetValue(recursive),
            parse.GetValue(allow) ?? [],
            parse.GetValue(verbose),
            parse.GetValue(output)));
        return command;
    }

    /// <summary>
    /// Scans <paramref name="paths"/> on all cores and writes one table per file (or with <paramref name="json"/>
    /// one JSON document) to <paramref name="stdout"/>; problems with the paths themselves go to <paramref name="stderr"/>.
    /// </summary>
    /// <returns><see cref="Clean"/>, <see cref="Dangerous"/> or <see cref="Error"/>.</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> paths, bool json, string? sarifPath, bool strict, bool recursive, IReadOnlyList<string> allow, bool verbose = false, string? outputPath = null)
    {
        var options = new ScanOptions();
        foreach (var g in allow) options.AllowGlobals.Add(g);
        var files = new List<string>();
        var errors = new List<string>();
        var dcpReports = new List<ScanReport>();
        foreach (var path in paths)
        {
            if (string.IsNullOrWhiteSpace(path)) errors.Add("error: an empty path was given: name a file or folder");
            else if (File.Exists(path)) files.Add(path);
            else if (Dcp.DcpCheckpoint.IsDcpFolder(path)) dcpReports.AddRange(Dcp.DcpScan.Scan(path, options));
            else if (Directory.Exists(path))
            {
                try
                {
                    // With -r, a distributed checkpoint folder below is scanned as one checkpoint.
                    var targets = Dcp.FolderScanTargets.List(path, recursive);
                    files.AddRange(targets.Files);
                    foreach (var dcp in targets.DcpFolders) dcpReports.AddRange(Dcp.DcpScan.Scan(dcp, options));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add($"error: cannot list {path}: {e.Message}");
                }
            }
            else errors.Add($"error: no such file or directory: {path}");
        }

        var reports = new ScanReport[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => reports[i] = PtScanner.ScanFile(files[i], options));
        reports = [.. dcpReports, .. reports];
        foreach (var r in reports)
        {
            if (r.Error is not null) errors.Add($"error: cannot read {r.Path}: {r.Error}");
        }

        foreach (var e in errors) stderr.WriteLine(Display.OneLine(e));
        stderr.Flush();
        try
        {
            // `--sarif -` puts the SARIF log on stdout, so the report goes only where -o sends it.
            bool sarifToStdout = sarifPath == "-";
            if (!sarifToStdout || !OutputFile.IsStdout(outputPath))
            {
                string report = json
                    ? ScanJson.Render(reports, strict) + Environment.NewLine
                    : ScanTable.Render(reports, strict, verbose, OutputFile.IsStdout(outputPath) ? TerminalWidth.For(stdout) : TerminalWidth.Unlimited);
                OutputFile.Write(outputPath, stdout, report);
            }
            if (sarifPath is not null) OutputFile.Write(sarifPath, stdout, ScanSarif.Render(reports, strict));
        }
        catch (CliException e)
        {
            stderr.WriteLine(Display.OneLine("error: " + e.Message));
            return ExitCodes.ScanError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine(Display.OneLine($"error: cannot write output: {CliException.Reason(e)}"));
            return ExitCodes.ScanError;
        }
        // Dangerous first; then a file that could not be read or scanned is not clean (2); then --strict warnings.
        if (reports.Any(r => r.IsDangerous)) return ExitCodes.ScanDangerous;
        // Files that open but cannot be scanned say so on their own verdict line (stdout), not on stderr.
        if (errors.Count > 0 || reports.Any(r => r.Unreadable is not null)) return ExitCodes.ScanError;
        return reports.Any(r => strict && r.HasWarnings) ? ExitCodes.ScanDangerous : ExitCodes.Ok;
    }
}
