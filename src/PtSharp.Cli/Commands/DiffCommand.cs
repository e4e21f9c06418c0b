using System.CommandLine;
using PtSharp.Cli.Options;
using PtSharp.Cli.Output;
using PtSharp.Diff;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt diff A B</c>: compare two checkpoints in any supported format. Two training checkpoints are compared
/// tensor by tensor (optimizer state included) unless <c>--state-dict</c>; anything else by its model state dict.
/// Exit 0 when equal within tolerance, 1 when different, 2 when either cannot be read.
/// </summary>
internal static class DiffCommand
{
    /// <summary>Creates the <c>diff</c> command.</summary>
    public static Command Create()
    {
        var a = new Argument<string>("A")
        {
            Description = "First checkpoint: .pt/.pth/.bin, .safetensors, a sharded checkpoint's *.index.json, "
                + "or a folder holding one.",
        };
        var b = new Argument<string>("B")
        {
            Description = "Second checkpoint (the reference for relative differences).",
        };
        var atol = NumberOption.Create("--atol", "Absolute tolerance (default 0).", 0);
        var rtol = NumberOption.Create("--rtol", "Relative tolerance, as a fraction of B's value (default 0). "
            + "Values are equal when |a-b| <= atol + rtol*|b|.", 0);
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text." };
        var keyA = new Option<string?>("--key-a")
        {
            Description = "For a .pt A, compare the state dict under this dotted path (e.g. model_state_dict).",
        };
        var keyB = new Option<string?>("--key-b")
        {
            Description = "For a .pt B, compare the state dict under this dotted path.",
        };
        var ignoreDType = new Option<bool>("--ignore-dtype")
        {
            Description = "A dtype change alone is no difference: values are compared after rounding the wider "
                + "float dtype to the narrower (float32 vs float16/bfloat16, float64 vs float32), as tensor.to() does.",
        };
        var stateDict = new Option<bool>("--state-dict")
        {
            Description = "Compare the model state dicts only (by default two training checkpoints are compared "
                + "tensor by tensor, optimizer state included).",
        };
        var all = new Option<bool>("--all") { Description = "List every shared key, not only the different ones." };
        var stripA = Repeated("--strip-prefix-a", "PREFIX",
            "Remove PREFIX from A's keys before matching (e.g. module.).");
        var stripB = Repeated("--strip-prefix-b", "PREFIX", "Remove PREFIX from B's keys before matching.");
        var renameA = Repeated("--rename-a", "REGEX=REPLACEMENT",
            "Rename A's keys before matching (after --strip-prefix-a).");
        var renameB = Repeated("--rename-b", "REGEX=REPLACEMENT",
            "Rename B's keys before matching (after --strip-prefix-b).");
        var output = OutputFile.CreateOption("the report (text or --json)");
        var command = new Command("diff", "Compare two checkpoints (any formats, e.g. a .pt and its .safetensors): "
            + "a summary, then keys only in one, dtype/shape changes and per-key max abs/rel differences. "
            + "Exit 0 equal, 1 different, 2 unreadable.")
        {
            a, b, atol, rtol, json, keyA, keyB, ignoreDType, stateDict, all, stripA, stripB, renameA, renameB, output,
        };
        command.SetAction(parse => Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(a)!,
            parse.GetValue(b)!,
            new DiffSettings
            {
                Atol = parse.GetValue(atol),
                Rtol = parse.GetValue(rtol),
                Json = parse.GetValue(json),
                KeyA = parse.GetValue(keyA),
                KeyB = parse.GetValue(keyB),
                IgnoreDType = parse.GetValue(ignoreDType),
                StateDictOnly = parse.GetValue(stateDict),
                All = parse.GetValue(all),
                StripPrefixA = parse.GetValue(stripA) ?? [],
                StripPrefixB = parse.GetValue(stripB) ?? [],
                RenameA = parse.GetValue(renameA) ?? [],
                RenameB = parse.GetValue(renameB) ?? [],
                OutputPath = parse.GetValue(output),
            }));
        return command;
    }

    private static Option<string[]> Repeated(string name, string helpName, string description) => new(name)
    {
        Description = description + " Repeatable.",
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Compares <paramref name="pathA"/> with <paramref name="pathB"/> (tolerances only).</summary>
    public static int Run(TextWriter stdout, TextWriter stderr, string pathA, string pathB, double atol, double rtol,
        bool json, string? keyA = null, string? keyB = null) =>
        Run(stdout, stderr, pathA, pathB,
            new DiffSettings { Atol = atol, Rtol = rtol, Json = json, KeyA = keyA, KeyB = keyB });

    /// <summary>Compares <paramref name="pathA"/> with <paramref name="pathB"/> and writes the report.</summary>
    /// <returns>
    /// <see cref="ExitCodes.Ok"/>, <see cref="ExitCodes.DiffDifferent"/> or <see cref="ExitCodes.DiffTrouble"/>.
    /// </returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string pathA, string pathB, DiffSettings settings)
    {
        if (!(settings.Atol >= 0) || !(settings.Rtol >= 0))
            return Fail(stderr, "error: --atol and --rtol must be non-negative numbers");
        Checkpoint? a = null, b = null;
        try
        {
            a = Open(pathA, settings.KeyA, stderr, out int codeA);
            if (a is null) return codeA;
            b = Open(pathB, settings.KeyB, stderr, out int codeB);
            if (b is null) return codeB;
            bool every = !settings.StateDictOnly
                && IsTrainingCheckpoint(a, settings.KeyA) && IsTrainingCheckpoint(b, settings.KeyB);
            var sideA = Side(pathA, a, every, settings.StripPrefixA, settings.RenameA, "a");
            var sideB = Side(pathB, b, every, settings.StripPrefixB, settings.RenameB, "b");
            var report = CheckpointDiff.Compare(sideA.Tensors, sideB.Tensors, new DiffOptions
            {
                Atol = settings.Atol,
                Rtol = settings.Rtol,
                IgnoreDType = settings.IgnoreDType,
            });
            foreach (var warning in sideA.Warnings.Concat(sideB.Warnings))
                stderr.WriteLine(Display.OneLine("warning: " + warning));
            stderr.Flush();
            var diff = new DiffResult(sideA, sideB, report, every, settings);
            int width = OutputFile.IsStdout(settings.OutputPath) ? TerminalWidth.For(stdout) : TerminalWidth.Unlimited;
            string text = settings.Json ? DiffJson.Render(diff) : DiffText.Render(diff, width);
            OutputFile.Write(settings.OutputPath, stdout, text);
            return report.Equal ? ExitCodes.Ok : ExitCodes.DiffDifferent;
        }
        catch (CliException e) { return Fail(stderr, "error: " + e.Message); }
        catch (KeyCollisionException e) { return Fail(stderr, "error: " + e.Message); }
        catch (ArgumentException e) { return Fail(stderr, "error: " + e.Message); }
        catch (Exception e) when (e is PtFormatException or InvalidOperationException or NotSupportedException)
        {
            return Fail(stderr, "error: " + e.Message);
        }
        finally
        {
            a?.Dispose();
            b?.Dispose();
        }
    }

    /// <summary>A .pt training checkpoint (a dict of state dicts and values) opened without a state-dict key.</summary>
    private static bool IsTrainingCheckpoint(Checkpoint c, string? key) =>
        key is null && c.Format == CheckpointFormat.Pt && c.Kind == PtKind.Checkpoint;

    private static DiffSide Side(string path, Checkpoint c, bool every, IReadOnlyList<string> strip,
        IReadOnlyList<string> renames, string side)
    {
        IReadOnlyList<NamedTensor> tensors = every ? c.Tensors : c.StateDict;
        if (strip.Count == 0 && renames.Count == 0) return new DiffSide(path, c, tensors, []);
        var options = new KeyTransformOptions();
        foreach (var p in strip) options.StripPrefixes.Add(p);
        foreach (var r in renames) options.Renames.Add(KeyTransform.ParseRename(r));
        var result = KeyTransform.Apply(tensors, options);
        // KeyTransform names its rules as convert spells them; here each one belongs to one side.
        var warnings = result.Warnings
            .Select(w => OneSide(w, "--strip-prefix", side) ?? OneSide(w, "--rename", side) ?? w).ToList();
        return new DiffSide(path, c, result.Tensors, warnings);
    }

    private static string? OneSide(string warning, string option, string side) =>
        warning.StartsWith(option + " ", StringComparison.Ordinal)
            ? $"{option}-{side}{warning[option.Length..]}"
            : null;

    private static Checkpoint? Open(string path, string? key, TextWriter stderr, out int code)
    {
        code = ExitCodes.DiffTrouble;
        if (string.IsNullOrEmpty(path)) { Fail(stderr, "error: the input path is empty"); return null; }
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Fail(stderr, $"error: no such file: {path}");
            return null;
        }
        try
        {
            return Checkpoint.Open(path, new CheckpointOptions { StateDictKey = key });
        }
        catch (PtFormatException e) { Fail(stderr, $"error: {path}: {e.Message}"); }
        catch (KeyNotFoundException e) { Fail(stderr, "error: " + e.Message); }
        catch (ArgumentException e) { Fail(stderr, "error: " + e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(stderr, $"error: cannot read {path}: {e.Message}");
        }
        return null;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return ExitCodes.DiffTrouble;
    }
}

/// <summary>One side of a diff: the path given, the checkpoint, the tensors compared (after key rules).</summary>
internal sealed record DiffSide(
    string Path, Checkpoint Checkpoint, IReadOnlyList<NamedTensor> Tensors, IReadOnlyList<string> Warnings);

/// <summary>A finished comparison, ready to render.</summary>
internal sealed record DiffResult(DiffSide A, DiffSide B, DiffReport Report, bool EveryTensor, DiffSettings Settings);
