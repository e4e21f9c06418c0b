using System.CommandLine;

namespace PtSharp.Cli.Options;

/// <summary>
/// <c>-o FILE</c> for report-producing commands (<c>--json</c>, tables, SARIF): the whole report is written to a
/// temporary file next to FILE and renamed over it when complete, so a reader never sees half a report. <c>-</c>
/// (or no option) means stdout. Any command can reuse <see cref="CreateOption"/> and <see cref="Write"/>.
/// </summary>
internal static class OutputFile
{
    /// <summary>The standard <c>--output</c>/<c>-o</c> option.</summary>
    public static Option<string?> CreateOption(string what = "the report") => new("--output", "-o")
    {
        Description = $"Write {what} to FILE instead of stdout ('-' for stdout).",
        HelpName = "FILE",
    };

    /// <summary>True when <paramref name="path"/> means stdout.</summary>
    public static bool IsStdout(string? path) => path is null || path == "-";

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> (or <paramref name="stdout"/>). Throws
    /// <see cref="CliException"/> with a readable message (the folder that is missing, the file that cannot be
    /// written) instead of an IOException naming a temporary file.
    /// </summary>
    public static void Write(string? path, TextWriter stdout, string text)
    {
        if (IsStdout(path))
        {
            stdout.Write(text);
            stdout.Flush();
            return;
        }
        string target = path!;
        CliPaths.RequireNonEmpty(target, "output path");
        if (Directory.Exists(target)) throw new CliException($"cannot write {target}: it is a directory");
        string folder = Path.GetDirectoryName(Path.GetFullPath(target)) ?? ".";
        if (!Directory.Exists(folder)) throw new CliException($"cannot write {target}: folder {folder} does not exist");
        string temp = Path.Combine(folder, "." + Path.GetFileName(target) + "." + Environment.ProcessId + ".tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CliException($"cannot write {target}: {CliException.Reason(e)}");
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
