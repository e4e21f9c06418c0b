using System.CommandLine;
using PtSharp.Cli.Output;
using PtSharp.Pickle;
using Spectre.Console;

namespace PtSharp.Cli.Commands;

/// <summary><c>pt convert IN OUT.pt [--state-dict] [--key PATH] [--quiet]</c>: rewrite any readable file as a zip-format .pt.</summary>
internal static class ConvertCommand
{
    private const long ProgressThreshold = 100L << 20;

    /// <summary>Creates the <c>convert</c> command.</summary>
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "Any file pt can read: zip, legacy, legacy tar or TorchScript." };
        var output = new Argument<string>("OUT") { Description = "The .pt file to write (zip format, as current torch.save writes it)." };
        var stateDict = new Option<bool>("--state-dict") { Description = "Write only the state dict: a model's state_dict() keys for pickled and TorchScript modules, the model state dict of a checkpoint." };
        var key = new Option<string?>("--key") { Description = "Write only this sub-object, a dotted path such as model_state_dict or optimizer.state." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar." };
        var command = new Command("convert", "Rewrite a file in the zip format that current torch loads (upgrade legacy files, export TorchScript weights, extract a checkpoint entry).")
        {
            input, output, stateDict, key, quiet,
        };
        command.SetAction(parse => Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(input)!,
            parse.GetValue(output)!,
            parse.GetValue(stateDict),
            parse.GetValue(key),
            parse.GetValue(quiet)));
        return command;
    }

    /// <summary>Converts <paramref name="inPath"/> to <paramref name="outPath"/>.</summary>
    /// <returns>0 ok, 1 usage error, 2 unreadable input, 3 write failure (the previous output file is then unchanged).</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string inPath, string outPath, bool stateDict, string? key, bool quiet)
    {
        if (!File.Exists(inPath)) return Fail(stderr, Directory.Exists(inPath) ? $"error: {inPath} is a directory, not a file" : $"error: no such file: {inPath}", ExitCodes.Unreadable);
        if (Directory.Exists(outPath)) return Fail(stderr, $"error: {outPath} is a directory", ExitCodes.Usage);
        PtFile file;
        object? value;
        try
        {
            file = PtFile.Open(inPath);
        }
        catch (PtFormatException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail(stderr, $"error: cannot read {inPath}: {e.Message}", ExitCodes.Unreadable); }

        using (file)
        {
            try
            {
                value = file.Root;
                if (key is not null && !file.TryGetPath(key, out value))
                    return Fail(stderr, $"error: {inPath} has no entry '{key}' (top-level keys: {TopKeys(file.Root)})", ExitCodes.Usage);
                if (stateDict || file.Format == PtFormat.TorchScript && key is null)
                {
                    if (file.Format == PtFormat.TorchScript && !stateDict)
                        stderr.WriteLine("note: a TorchScript archive is written as its state dict (torch.load cannot read TorchScript objects)");
                    var dict = new PyDict("collections.OrderedDict");
                    foreach (var t in key is null ? file.StateDict : file.StateDictOf(value)) dict.Set(t.Name, t.Tensor.Detach());
                    value = dict;
                }
            }
            catch (PtFormatException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable); }

            long total = file.Storages.Sum(s => s.ByteLength);
            bool showProgress = !quiet && total > ProgressThreshold && !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
            try
            {
                if (showProgress) WriteWithProgress(outPath, value, total);
                else PtWriter.Save(outPath, value);
            }
            catch (PtWriteException e) { return Fail(stderr, "error: cannot write " + outPath + ": " + e.Message, ExitCodes.WriteFailed); }
            catch (PtFormatException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail(stderr, $"error: cannot write {outPath}: {e.Message}", ExitCodes.WriteFailed); }
            catch (Exception e) { return Fail(stderr, $"internal error: {e.GetType().FullName}: {e.Message}", ExitCodes.WriteFailed); }
            if (!quiet) stderr.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length:N0} bytes)");
            return ExitCodes.Ok;
        }
    }

    private static void WriteWithProgress(string outPath, object? value, long total)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"writing {Path.GetFileName(outPath)}", maxValue: total);
            PtWriter.Save(outPath, value, new PtSaveOptions { Progress = new Progress(task) });
        });
    }

    /// <summary>Synchronous progress sink (System.Progress posts to a thread pool, which would lag the bar).</summary>
    private sealed class Progress(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = value;
    }

    private static string TopKeys(object? root) => root is PyDict d
        ? string.Join(", ", d.Keys.Take(12).Select(k => ModuleKey(k)))
        : "none; the top-level object is not a dict";

    private static string ModuleKey(object? k) => k?.ToString() ?? "None";

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return code;
    }
}
