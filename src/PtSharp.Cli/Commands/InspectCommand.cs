using System.CommandLine;
using PtSharp.Cli.Options;
using PtSharp.Cli.Output;
using PtSharp.Errors;
using PtSharp.Loading;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt inspect FILE [--json] [--stats] [--code [RECORD]] [--strict] [--fold-pruning]</c>: format facts and the
/// tensor list of a file, or with <c>--code RECORD</c> the source of one TorchScript record.
/// </summary>
internal static class InspectCommand
{
    /// <summary>Creates the <c>inspect</c> command.</summary>
    public static Command Create()
    {
        var file = new Argument<string[]>("FILE")
        {
            Description = "The checkpoint: a .pt/.pth/.bin file, a .safetensors file, a sharded *.index.json, a folder holding one, or - for stdin. Several files: one summary line each.",
            // Zero here only so that `--code model.pt` (an optional value followed by FILE) parses; Split checks it.
            Arity = ArgumentArity.ZeroOrMore,
        };
        // With several FILEs allowed, a mistyped option would otherwise be taken for a file name.
        file.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.StartsWith('-') && token.Value != "-") result.AddError($"unknown option '{token.Value}' (a file named so: ./{token.Value})");
        });
        var json = new Option<bool>("--json") { Description = "Print one JSON document (and nothing else) to stdout instead of tables." };
        var stats = new Option<bool>("--stats") { Description = "Also compute sum, sum of squares, min, max, NaN/inf counts and sparsity (fraction of zeros) of every tensor (reads all tensor data)." };
        var code = CodeOption();
        var strict = new Option<bool>("--strict") { Description = "Refuse any global outside torch's weights-only allowlist, like torch.load(weights_only=True)." };
        var foldPruning = new Option<bool>("--fold-pruning") { Description = "List pruned tensors as the plain model sees them: every X_orig/X_mask pair shown as X = X_orig * X_mask (as prune.remove leaves it)." };
        var output = OutputFile.CreateOption("the report (tables or --json)");
        var command = new Command("inspect", "Show a file's format, kind, parameter count and tensors (name, dtype, shape, storage, flags).")
        {
            file, json, stats, code, strict, foldPruning, output,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var (files, codeRecord) = Split(parse.GetValue(file) ?? [], parse.GetValue(code));
            if (files.Count == 0)
                return Fail(stderr, "error: pt inspect needs a FILE (see pt inspect --help)", ExitCodes.Usage);
            return files.Count > 1
                ? RunSeveral(stdout, stderr, files, parse.GetValue(strict), parse.GetValue(output))
                : Run(
                    stdout, stderr, files[0], parse.GetValue(json), parse.GetValue(stats),
                    code: parse.GetResult(code) is not null, parse.GetValue(strict), parse.GetValue(foldPruning),
                    parse.GetValue(output), codeRecord);
        });
        return command;
    }

    /// <summary>
    /// <c>--code</c> alone lists the code/ records; <c>--code RECORD</c> prints one. The value is optional, so a
    /// value is taken as a record only when it names one (contains <c>code/</c> or ends in <c>.py</c>); otherwise
    /// it is a FILE, and <c>pt inspect --code model.pt</c> still means the listing.
    /// </summary>
    private static Option<string?> CodeOption() => new("--code")
    {
        Description = "List the code/ records of a TorchScript archive with their sizes; with a record name "
            + "(--code code/__torch__/model.py) print that record's TorchScript source instead.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>
    /// The FILEs and the record to print: a <c>--code</c> value that names no record is the first FILE.
    /// </summary>
    private static (List<string> Files, string? CodeRecord) Split(string[] files, string? codeValue) =>
        codeValue is null || CodeSource.LooksLikeRecord(codeValue)
            ? ([.. files], codeValue)
            : ([codeValue, .. files], null);

    /// <summary>
    /// Inspects <paramref name="path"/> and writes the result to <paramref name="stdout"/>: tables, or with
    /// <paramref name="json"/> exactly one JSON document. Nothing is written to <paramref name="stdout"/> when the
    /// file cannot be read; <paramref name="stderr"/> then gets one line and the result is <see cref="ExitCodes.Unreadable"/>.
    /// </summary>
    /// <returns>An exit code from <see cref="ExitCodes"/>.</returns>
    public static int Run(
        TextWriter stdout, TextWriter stderr, string path, bool json, bool stats, bool code, bool strict,
        bool foldPruning = false, string? outputPath = null, string? codeRecord = null)
    {
        bool writing = false;
        try
        {
            CliPaths.RequireNonEmpty(path, "input path");
            if (Dcp.DcpCheckpoint.IsDcpFolder(path))
            {
                using var dcp = Dcp.DcpCheckpoint.Open(path, new PtLoadOptions { Strict = strict });
                string text = json ? DcpInspect.RenderJson(path, dcp) + Environment.NewLine : DcpInspect.RenderText(path, dcp);
                writing = true;
                stdout.Write(text);
                stdout.Flush();
                return ExitCodes.Ok;
            }
            if (path != "-" && !File.Exists(path) && !Directory.Exists(path)) return Fail(stderr, $"error: no such file: {path}");
            using var input = InputFile.Open(path);
            using var file = Checkpoint.Open(input.Path, new CheckpointOptions { PtOptions = new PtLoadOptions { Strict = strict } });
            // Everything that reads the file happens in Build, and JSON is rendered completely before it is
            // written, so a failure part-way leaves stdout empty.
            if (codeRecord is not null)
            {
                string source = CodeSource.Read(file, codeRecord, input.DisplayName);
                writing = true;
                OutputFile.Write(outputPath, stdout, source);
                stdout.Flush();
                return ExitCodes.Ok;
            }
            var report = InspectReport.Build(input.DisplayName, file, stats, code, foldPruning);
            writing = true;
            if (json) OutputFile.Write(outputPath, stdout, InspectJson.Render(report) + Environment.NewLine);
            else if (!OutputFile.IsStdout(outputPath)) OutputFile.Write(outputPath, stdout, InspectTable.Render(report));
            else if (IsTerminal(stdout)) InspectTable.Write(stdout, report, terminal: true, TerminalWidth.For(stdout));
            else stdout.Write(InspectTable.Render(report, TerminalWidth.For(stdout)));
            stdout.Flush();
            return ExitCodes.Ok;
        }
        catch (CliException e)
        {
            return Fail(stderr, "error: " + e.Message, e.ExitCode);
        }
        catch (PtFormatException e)
        {
            return Fail(stderr, "error: " + e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, writing ? $"error: cannot write output: {e.Message}" : $"error: cannot read {path}: {e.Message}");
        }
        catch (Exception e)
        {
            return Fail(stderr, $"internal error: {e.GetType().FullName}: {e.Message}");
        }
    }

    /// <summary>
    /// <c>pt inspect A B...</c>: a summary line per file (format, kind, tensors, elements, bytes, path); files that
    /// cannot be read get an error line there and make the exit code <see cref="ExitCodes.Unreadable"/>.
    /// </summary>
    public static int RunSeveral(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> paths, bool strict, string? outputPath = null)
    {
        var opened = new List<(string, Checkpoint?, string?)>();
        try
        {
            foreach (var path in paths)
            {
                try
                {
                    CliPaths.RequireNonEmpty(path, "input path");
                    if (!File.Exists(path) && !Directory.Exists(path)) { opened.Add((path, null, "no such file")); continue; }
                    var c = Checkpoint.Open(path, new CheckpointOptions { PtOptions = new PtLoadOptions { Strict = strict } });
                    opened.Add((path, c, null));
                    _ = c.ParameterCount;
                }
                catch (Exception e) when (e is PtFormatException or CliException or IOException or UnauthorizedAccessException)
                {
                    opened.Add((path, null, e is IOException or UnauthorizedAccessException ? CliException.Reason(e) : e.Message));
                }
            }
            OutputFile.Write(outputPath, stdout, InspectSummaryLines.Render(opened));
            return opened.Any(o => o.Item2 is null) ? ExitCodes.Unreadable : ExitCodes.Ok;
        }
        catch (CliException e)
        {
            return Fail(stderr, "error: " + e.Message, e.ExitCode);
        }
        finally
        {
            foreach (var (_, c, _) in opened) c?.Dispose();
        }
    }

    private static bool IsTerminal(TextWriter stdout) => ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;

    private static int Fail(TextWriter stderr, string message, int code = ExitCodes.Unreadable)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return code;
    }
}
