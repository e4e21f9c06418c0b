using System.CommandLine;
using PtSharp.Cli.Output;
using PtSharp.Errors;
using PtSharp.Loading;

namespace PtSharp.Cli.Commands;

/// <summary><c>pt inspect FILE [--json] [--stats] [--code] [--strict] [--fold-pruning]</c>: format facts and the tensor list of a file.</summary>
internal static class InspectCommand
{
    /// <summary>Creates the <c>inspect</c> command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The checkpoint: a .pt/.pth/.bin file, a .safetensors file, a sharded *.index.json, or a folder holding one.",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document (and nothing else) to stdout instead of tables." };
        var stats = new Option<bool>("--stats") { Description = "Also compute sum, sum of squares, min, max, NaN/inf counts and sparsity (fraction of zeros) of every tensor (reads all tensor data)." };
        var code = new Option<bool>("--code") { Description = "Also list the code/ records of a TorchScript archive, with their sizes." };
        var strict = new Option<bool>("--strict") { Description = "Refuse any global outside torch's weights-only allowlist, like torch.load(weights_only=True)." };
        var foldPruning = new Option<bool>("--fold-pruning") { Description = "List pruned tensors as the plain model sees them: every X_orig/X_mask pair shown as X = X_orig * X_mask (as prune.remove leaves it)." };
        var command = new Command("inspect", "Show a file's format, kind, parameter count and tensors (name, dtype, shape, storage, flags).")
        {
            file, json, stats, code, strict, foldPruning,
        };
        command.SetAction(parse => Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(file)!,
            parse.GetValue(json),
            parse.GetValue(stats),
            parse.GetValue(code),
            parse.GetValue(strict),
            parse.GetValue(foldPruning)));
        return command;
    }

    /// <summary>
    /// Inspects <paramref name="path"/> and writes the result to <paramref name="stdout"/>: tables, or with
    /// <paramref name="json"/> exactly one JSON document. Nothing is written to <paramref name="stdout"/> when the
    /// file cannot be read; <paramref name="stderr"/> then gets one line and the result is <see cref="ExitCodes.Unreadable"/>.
    /// </summary>
    /// <returns>An exit code from <see cref="ExitCodes"/>.</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string path, bool json, bool stats, bool code, bool strict, bool foldPruning = false)
    {
        bool writing = false;
        try
        {
            if (!File.Exists(path) && !Directory.Exists(path)) return Fail(stderr, $"error: no such file: {path}");
            using var file = Checkpoint.Open(path, new CheckpointOptions { PtOptions = new PtLoadOptions { Strict = strict } });
            // Everything that reads the file happens in Build, and JSON is rendered completely before it is
            // written, so a failure part-way leaves stdout empty.
            var report = InspectReport.Build(path, file, stats, code, foldPruning);
            writing = true;
            if (json) stdout.Write(InspectJson.Render(report) + Environment.NewLine);
            else if (IsTerminal(stdout)) InspectTable.Write(stdout, report, terminal: true);
            else stdout.Write(InspectTable.Render(report));
            stdout.Flush();
            return ExitCodes.Ok;
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

    private static bool IsTerminal(TextWriter stdout) => ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return ExitCodes.Unreadable;
    }
}
