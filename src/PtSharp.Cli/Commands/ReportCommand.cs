using System.CommandLine;
using System.Diagnostics;
using PtSharp.Cli.Output;
using PtSharp.Errors;
using PtSharp.Report;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt report FILE [-o report.html] [--diff OTHER] [--open]</c>: one self-contained HTML page about a file
/// (format, scan verdict, module tree and treemap, tensor statistics and histograms, checkpoint state, diff).
/// </summary>
internal static class ReportCommand
{
    /// <summary>Creates the <c>report</c> command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("FILE") {
            Description = "The checkpoint: a .pt/.pth/.bin file, a .safetensors file, a sharded checkpoint's "
                          + "*.index.json or a folder holding one.",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Where to write the page (default: FILE's name + .html in the current folder).",
        };
        var diff = new Option<string?>("--diff")
        {
            Description = "Also compare with this file: per-key relative change, difference histograms, "
                          + "keys on one side only.",
        };
        var open = new Option<bool>("--open") { Description = "Open the page in the default browser when written." };
        var command = new Command("report",
            "Write one self-contained HTML page about a file: header, scan verdict, module tree, treemap, "
            + "per-tensor statistics and histograms, checkpoint state; no network access.")
        {
            file, output, diff, open,
        };
        command.SetAction(parse => Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(file)!,
            parse.GetValue(output),
            parse.GetValue(diff),
            parse.GetValue(open)));
        return command;
    }

    /// <summary>Writes the report of <paramref name="path"/>; prints the output path on success.</summary>
    /// <returns>
    /// <see cref="ExitCodes.Ok"/>, <see cref="ExitCodes.Unreadable"/> or <see cref="ExitCodes.WriteFailed"/>.
    /// </returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string path, string? output, string? diffPath,
        bool open)
    {
        foreach (var p in diffPath is null ? [path] : new[] { path, diffPath })
        {
            if (!File.Exists(p) && !Directory.Exists(p))
                return Fail(stderr, $"error: no such file: {p}", ExitCodes.Unreadable);
        }
        output ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))) + ".html";
        byte[] page;
        try
        {
            page = HtmlReport.Render(path, new ReportOptions { DiffPath = diffPath });
        }
        catch (PtFormatException e)
        {
            return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, $"error: cannot read input: {e.Message}", ExitCodes.Unreadable);
        }
        try
        {
            HtmlReport.WritePage(page, output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, $"error: cannot write {output}: {e.Message}", ExitCodes.WriteFailed);
        }
        stdout.WriteLine(Display.OneLine($"wrote {output} ({Display.Bytes(page.Length)})"));
        stdout.Flush();
        if (open) OpenInBrowser(output, stderr);
        return ExitCodes.Ok;
    }

    private static void OpenInBrowser(string output, TextWriter stderr)
    {
        string full = Path.GetFullPath(output);
        try
        {
            var psi = OperatingSystem.IsWindows() ? new ProcessStartInfo(full) { UseShellExecute = true }
                : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", [full])
                {
                    UseShellExecute = false,
                };
            using var _ = Process.Start(psi);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            string message = $"warning: could not open a browser ({e.Message}); the report is at {full}";
            stderr.WriteLine(Display.OneLine(message));
        }
    }

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return code;
    }
}
