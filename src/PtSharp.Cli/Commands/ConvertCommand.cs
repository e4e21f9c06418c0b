using System.CommandLine;
using System.Globalization;
using PtSharp.Cli.Options;
using PtSharp.Cli.Output;
using PtSharp.Conversion;
using PtSharp.Errors;
using PtSharp.Scanning;
using PtSharp.Sharding;
using PtSharp.Transforms;
using Spectre.Console;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt convert IN OUT [--state-dict] [--key PATH] [--max-shard-size SIZE] [--strip-prefix P]... [--add-prefix P]
/// [--rename RE=REPL]... [--include RE]... [--exclude RE]... [--dtype D] [--dtype-include RE]... [--no-verify] [--quiet]</c>:
/// rewrite any readable checkpoint as a zip .pt or safetensors (by OUT's extension), whole or sharded.
/// </summary>
internal static class ConvertCommand
{
    private const long ProgressThreshold = 100L << 20;

    /// <summary>Everything <c>pt convert</c> can be asked to do besides IN and OUT.</summary>
    internal sealed class Settings
    {
        public bool StateDict { get; init; }
        public string? Key { get; init; }
        public bool Quiet { get; init; }
        public string? MaxShardSize { get; init; }
        public IReadOnlyList<string> StripPrefix { get; init; } = [];
        public string? AddPrefix { get; init; }
        public IReadOnlyList<string> Rename { get; init; } = [];
        public IReadOnlyList<string> Include { get; init; } = [];
        public IReadOnlyList<string> Exclude { get; init; } = [];
        public string? DType { get; init; }
        public IReadOnlyList<string> DTypeInclude { get; init; } = [];
        public bool NoVerify { get; init; }
        public string? Format { get; init; }
        public int Writers { get; init; } = 1;
        public bool KeepUnsafe { get; init; }
        public bool Force { get; init; }
        public bool DryRun { get; init; }
    }

    /// <summary>Creates the <c>convert</c> command.</summary>
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "Any checkpoint pt can read: a .pt/.pth/.bin (zip, legacy, legacy tar, TorchScript), a .safetensors, a sharded checkpoint's *.index.json, or a folder holding one." };
        var output = new Argument<string>("OUT") { Description = "The file to write: .safetensors for safetensors, anything else for a zip .pt as current torch.save writes it. With --max-shard-size, the base name of the shards (model.safetensors → model-00001-of-0000N.safetensors + model.safetensors.index.json)." };
        var stateDict = new Option<bool>("--state-dict") { Description = "Write only the state dict: a model's state_dict() keys for pickled and TorchScript modules, the model state dict of a checkpoint. Implied by safetensors output, sharding, key surgery and --dtype." };
        var key = new Option<string?>("--key") { Description = "Convert only this entry of a .pt, a dotted path such as model_state_dict or optimizer.state." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar and no summary (warnings still print)." };
        var maxShard = new Option<string?>("--max-shard-size") { Description = "Split the output into shards of at most this size (2GB, 500MB, 1GiB, or bytes) with a Hugging Face index JSON." };
        var strip = new Option<string[]>("--strip-prefix") { Description = "Remove this prefix from keys that have it (e.g. 'module.' left by DataParallel/DDP). Repeatable.", AllowMultipleArgumentsPerToken = false };
        var add = new Option<string?>("--add-prefix") { Description = "Add this prefix to every key (applied last)." };
        var rename = new Option<string[]>("--rename") { Description = "Rename keys with a .NET regular expression: 'REGEX=REPLACEMENT' ($1 for groups). Repeatable; applied in order after --strip-prefix." };
        var include = new Option<string[]>("--include") { Description = "Keep only keys matching this regular expression (any of them when repeated). Matched against the input's key names." };
        var exclude = new Option<string[]>("--exclude") { Description = "Drop keys matching this regular expression. Repeatable. Matched against the input's key names." };
        var dtype = new Option<string?>("--dtype") { Description = "Cast floating tensors to bf16, fp16, fp32, fp8_e4m3fn or fp8_e5m2 (round-to-nearest-even, bit-identical to torch's .to(dtype)). Integer, bool and quantized tensors are left as they are." };
        var dtypeInclude = new Option<string[]>("--dtype-include") { Description = "With --dtype, cast only keys matching this regular expression (e.g. keep norms in fp32). Repeatable. Matched against the output key names." };
        var noVerify = new Option<bool>("--no-verify") { Description = "Skip reading the output back and comparing every tensor." };
        var format = new Option<string?>("--format") { Description = "Output format: pt, safetensors or dcp (a torch.distributed.checkpoint folder); by default OUT's extension decides (a folder ending in .dcp is dcp)." };
        var writers = new Option<int>("--writers") { Description = "With --format dcp, the number of writers (ranks): one __{rank}_0.distcp file each, tensors split by rows over them (default 1).", DefaultValueFactory = _ => 1 };
        var keepUnsafe = new Option<bool>("--keep-unsafe") { Description = "Write a .pt even when pt scan judges the input dangerous (the payload would be copied). Without it such inputs are refused (exit 2); safetensors outputs, which hold tensors only, are always allowed." };
        var force = new Option<bool>("--force", "-f") { Description = "Replace OUT when it exists (never the input itself)." };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Read and transform the input, print the files, keys, dtypes and shapes that would be written, and write nothing." };
        var inputShape = new Option<string[]>("--input-shape") { Description = "ONNX output: the shape of a forward input, e.g. 1,3,224,224 (1,16:int64 for token ids). Repeatable, one per input." };
        var opset = new Option<int>("--opset") { Description = "ONNX output: the opset (13-21).", DefaultValueFactory = _ => 17 };
        var dynamicBatch = new Option<bool>("--dynamic-batch") { Description = "ONNX output: make dimension 0 of inputs and outputs symbolic." };
        var fp16 = new Option<bool>("--fp16") { Description = "ONNX output: store float32 weights, inputs and outputs as float16." };
        var like = new Option<string?>("--like") { Description = "ONNX output: copy this ONNX file, replacing its initializers by the .pt's tensors of the same name (graph untouched)." };
        var arch = new Option<string?>("--arch")
        {
            Description = "ONNX output from a state dict: its torchvision architecture "
                + "(resnet18, resnet50, mobilenet_v2, squeezenet1_1, vgg16...).",
        };
        var command = new Command("convert", "Convert a checkpoint between .pt and safetensors (whole or sharded), with key surgery and dtype casts; the output is verified by reading it back. OUT ending in .onnx converts a TorchScript archive to ONNX.")
        {
            input, output, stateDict, key, quiet, maxShard, strip, add, rename, include, exclude, dtype, dtypeInclude, noVerify, format, writers, keepUnsafe, force, dryRun,
            inputShape, opset, dynamicBatch, fp16, like, arch,
        };
        command.SetAction(parse => OnnxConvert.IsOnnx(parse.GetValue(output)!)
            ? CheckOnnxOutput(parse.InvocationConfiguration.Error, parse.GetValue(input)!, parse.GetValue(output)!,
                parse.GetValue(like), parse.GetValue(force), parse.GetValue(dryRun)) ?? OnnxConvert.Run(
            parse.InvocationConfiguration.Error, parse.GetValue(input)!, parse.GetValue(output)!, new OnnxConvert.Settings
            {
                InputShapes = parse.GetValue(inputShape) ?? [],
                Opset = parse.GetValue(opset),
                DynamicBatch = parse.GetValue(dynamicBatch),
                Fp16 = parse.GetValue(fp16),
                Like = parse.GetValue(like),
                Architecture = parse.GetValue(arch),
                Quiet = parse.GetValue(quiet),
            }) : Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(input)!,
            parse.GetValue(output)!,
            new Settings
            {
                StateDict = parse.GetValue(stateDict),
                Key = parse.GetValue(key),
                Quiet = parse.GetValue(quiet),
                MaxShardSize = parse.GetValue(maxShard),
                StripPrefix = parse.GetValue(strip) ?? [],
                AddPrefix = parse.GetValue(add),
                Rename = parse.GetValue(rename) ?? [],
                Include = parse.GetValue(include) ?? [],
                Exclude = parse.GetValue(exclude) ?? [],
                DType = parse.GetValue(dtype),
                DTypeInclude = parse.GetValue(dtypeInclude) ?? [],
                NoVerify = parse.GetValue(noVerify),
                Format = parse.GetValue(format),
                Writers = parse.GetValue(writers),
                KeepUnsafe = parse.GetValue(keepUnsafe),
                Force = parse.GetValue(force),
                DryRun = parse.GetValue(dryRun),
            }));
        return command;
    }

    /// <summary>Converts <paramref name="inPath"/> to <paramref name="outPath"/> (the original options only).</summary>
    /// <returns>0 ok, 1 usage error, 2 unreadable input, 3 write failure (the previous output file is then unchanged).</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string inPath, string outPath, bool stateDict, string? key, bool quiet)
        => Run(stdout, stderr, inPath, outPath, new Settings { StateDict = stateDict, Key = key, Quiet = quiet });

    /// <summary>Converts <paramref name="inPath"/> to <paramref name="outPath"/>.</summary>
    /// <returns>0 ok, 1 usage error (bad option, missing --key entry, key collision), 2 unreadable input, 3 write failure (previous output files are then unchanged).</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string inPath, string outPath, Settings settings)
    {
        try
        {
            CliPaths.RequireNonEmpty(inPath, "input path");
            CliPaths.RequireNonEmpty(outPath, "output path");
            if (inPath != "-" && !File.Exists(inPath) && !Directory.Exists(inPath))
                return Fail(stderr, $"error: no such file: {inPath}", ExitCodes.Unreadable);
            CheckOutput(inPath, outPath, settings);
            using var input = InputFile.Open(inPath);
            return Convert(stdout, stderr, input, outPath, settings);
        }
        catch (CliException e)
        {
            return Fail(stderr, "error: " + e.Message, e.ExitCode);
        }
    }

    /// <summary>
    /// The output rules: OUT is never the input (nor a folder), its folder must exist, and an existing OUT is
    /// replaced only with <c>--force</c>.
    /// </summary>
    private static void CheckOutput(string inPath, string outPath, Settings settings)
    {
        bool dcpOut = string.Equals(settings.Format, "dcp", StringComparison.OrdinalIgnoreCase)
            || outPath.TrimEnd('/', '\\').EndsWith(".dcp", StringComparison.OrdinalIgnoreCase);
        if (Directory.Exists(outPath) && !dcpOut) throw new CliException($"{outPath} is a directory");
        if (SameFile(inPath, outPath))
            throw new CliException($"{outPath} is the input file: pt convert never overwrites its input; choose another output name");
        string folder = Path.GetDirectoryName(Path.GetFullPath(outPath)) ?? ".";
        if (!Directory.Exists(folder)) throw new CliException($"cannot write {outPath}: folder {folder} does not exist", ExitCodes.WriteFailed);
        if (File.Exists(outPath) && !settings.Force && !settings.DryRun)
            throw new CliException($"{outPath} exists: pass --force to replace it");
    }

    /// <summary>
    /// The output rules for an <c>.onnx</c> OUT (the same as for every other output, with <c>--like</c>'s file
    /// counted as an input); an exit code when they refuse, null when the conversion may go on.
    /// </summary>
    private static int? CheckOnnxOutput(
        TextWriter stderr, string inPath, string outPath, string? like, bool force, bool dryRun)
    {
        try
        {
            CliPaths.RequireNonEmpty(inPath, "input path");
            CliPaths.RequireNonEmpty(outPath, "output path");
            if (dryRun) throw new CliException("--dry-run is not supported for an .onnx output");
            if (like is not null && SameFile(like, outPath))
                throw new CliException(
                    $"{outPath} is the --like file: pt convert never overwrites its input; choose another output name");
            CheckOutput(inPath, outPath, new Settings { Force = force });
            return null;
        }
        catch (CliException e)
        {
            return Fail(stderr, "error: " + e.Message, e.ExitCode);
        }
    }

    private static bool SameFile(string a, string b)
    {
        if (!File.Exists(a) || !File.Exists(b)) return false;
        static string Real(string p) => new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(p);
        return string.Equals(Real(a), Real(b), StringComparison.Ordinal);
    }

    private static int Convert(TextWriter stdout, TextWriter stderr, InputFile input, string outPath, Settings settings)
    {
        string inPath = input.Path;
        if (File.Exists(inPath) && UnsafeInput(stderr, inPath, outPath, settings) is { } refused) return refused;
        ConvertOptions options;
        try
        {
            options = BuildOptions(settings, outPath);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return Fail(stderr, "error: " + e.Message, ExitCodes.Usage);
        }
        if (options.OutputFormat != CheckpointFormat.Dcp && Directory.Exists(outPath))
            return Fail(stderr, $"error: {outPath} is a directory", ExitCodes.Usage);

        bool writing = false;
        options.OnWriteStart = _ => writing = true;
        options.DryRun = settings.DryRun;
        long inputSize = InputSize(inPath);
        bool showProgress = !settings.Quiet && !settings.DryRun && inputSize > ProgressThreshold && !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
        using var interruption = Interruption.Listen();
        options.Cancellation = interruption.Token;
        ConvertReport report;
        try
        {
            report = showProgress ? ConvertWithProgress(inPath, outPath, options, inputSize, () => writing = true) : CheckpointConverter.Convert(inPath, outPath, options);
        }
        catch (OperationCanceledException)
        {
            return Fail(stderr, $"interrupted: nothing was written ({(File.Exists(outPath) ? outPath + " is unchanged" : "no " + outPath)})", ExitCodes.Interrupted);
        }
        catch (PtFormatException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable); }
        catch (KeyNotFoundException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Usage); }
        catch (KeyCollisionException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Usage); }
        catch (PtWriteException e) { return Fail(stderr, "error: cannot write " + outPath + ": " + e.Message, ExitCodes.WriteFailed); }
        catch (ArgumentException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Usage); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return writing
                ? Fail(stderr, $"error: cannot write {outPath}: {CliException.Reason(e)}", ExitCodes.WriteFailed)
                : Fail(stderr, $"error: cannot read {input.DisplayName}: {CliException.Reason(e)}", ExitCodes.Unreadable);
        }
        catch (Exception e) { return Fail(stderr, $"internal error: {e.GetType().FullName}: {e.Message}", writing ? ExitCodes.WriteFailed : ExitCodes.Unreadable); }

        if (settings.DryRun)
        {
            stdout.Write(ConvertPlan.Render(report));
            stdout.Flush();
            return ExitCodes.Ok;
        }
        Summarize(stderr, report, settings.Quiet);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Scans the input: a dangerous one is refused (exit 2, one line naming the global and record) unless
    /// --keep-unsafe, since a .pt output would carry the payload; a safetensors output holds tensors only.
    /// </summary>
    private static int? UnsafeInput(TextWriter stderr, string inPath, string outPath, Settings settings)
    {
        var scan = PtScanner.ScanFile(inPath);
        if (!scan.IsDangerous) return null;
        var first = scan.Findings.First(f => f.Severity == ScanSeverity.Dangerous);
        string what = $"{first.Global ?? ScanNames.Kind(first.Kind)} in {first.Record ?? "the file"}";
        bool safetensors = outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || settings.MaxShardSize is not null;
        if (settings.KeepUnsafe || safetensors)
        {
            stderr.WriteLine(Display.OneLine($"warning: {inPath} is dangerous ({what}: {first.Message})"
                + (safetensors ? "; the safetensors output holds tensors only" : "; --keep-unsafe: converting anyway")));
            return null;
        }
        return Fail(stderr, $"error: refusing to convert {inPath}: it is dangerous ({what}: {first.Message}); "
            + "the output would carry it (pass --keep-unsafe to convert anyway)", ExitCodes.Unreadable);
    }

    private static ConvertOptions BuildOptions(Settings s, string outPath)
    {
        var o = new ConvertOptions { Key = s.Key, StateDictOnly = s.StateDict, Verify = !s.NoVerify, Writers = s.Writers };
        o.OutputFormat = s.Format?.ToLowerInvariant() switch
        {
            null => outPath.TrimEnd('/', '\\').EndsWith(".dcp", StringComparison.OrdinalIgnoreCase) ? CheckpointFormat.Dcp : null,
            "pt" => CheckpointFormat.Pt,
            "safetensors" => CheckpointFormat.Safetensors,
            "dcp" => CheckpointFormat.Dcp,
            _ => throw new ArgumentException($"--format '{s.Format}' is not one of pt, safetensors, dcp"),
        };
        if (s.Writers != 1 && o.OutputFormat != CheckpointFormat.Dcp) throw new ArgumentException("--writers applies only to --format dcp");
        if (s.Writers is < 1 or > 4096) throw new ArgumentException($"--writers must be between 1 and 4096, not {s.Writers}");
        if (s.MaxShardSize is not null) o.MaxShardSize = CheckpointWriter.ParseSize(s.MaxShardSize);
        foreach (var p in s.StripPrefix) o.Keys.StripPrefixes.Add(p);
        o.Keys.AddPrefix = s.AddPrefix;
        foreach (var r in s.Rename) o.Keys.Renames.Add(KeyTransform.ParseRename(r));
        foreach (var p in s.Include) o.Keys.Include.Add(p);
        foreach (var p in s.Exclude) o.Keys.Exclude.Add(p);
        if (s.DType is not null)
        {
            if (!DTypeCast.TryParseTarget(s.DType, out var target))
                throw new ArgumentException($"--dtype '{s.DType}' is not one of bf16, fp16, fp32, fp8_e4m3fn, fp8_e5m2");
            o.DType = target;
        }
        else if (s.DTypeInclude.Count > 0) throw new ArgumentException("--dtype-include needs --dtype");
        foreach (var p in s.DTypeInclude) o.DTypeInclude.Add(p);
        // Validate patterns now, so a typo is a usage error before anything is read.
        foreach (var p in o.Keys.Include.Concat(o.Keys.Exclude).Concat(o.DTypeInclude)) _ = new System.Text.RegularExpressions.Regex(p);
        foreach (var r in o.Keys.Renames) _ = new System.Text.RegularExpressions.Regex(r.Pattern);
        return o;
    }

    private static long InputSize(string path)
    {
        try
        {
            return Directory.Exists(path) ? Directory.GetFiles(path).Sum(f => new FileInfo(f).Length) : new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static ConvertReport ConvertWithProgress(string inPath, string outPath, ConvertOptions options, long estimate, Action started)
    {
        ConvertReport? report = null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask($"writing {Path.GetFileName(outPath)}", maxValue: Math.Max(1, estimate));
            options.Progress = new Progress(task);
            options.OnWriteStart = total => { started(); task.MaxValue = Math.Max(1, total); };
            report = CheckpointConverter.Convert(inPath, outPath, options);
        });
        return report!;
    }

    /// <summary>Synchronous progress sink (System.Progress posts to a thread pool, which would lag the bar).</summary>
    private sealed class Progress(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = value;
    }

    private static void Summarize(TextWriter stderr, ConvertReport r, bool quiet)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var w in r.Warnings) stderr.WriteLine(Display.OneLine("warning: " + w));
        if (r.OtherValues.Count > 0)
        {
            string why = r.OutputFormat.IsSafetensors() ? "safetensors holds tensors only" : "only the state dict is written";
            stderr.WriteLine(Display.OneLine($"not written ({why}): {r.OtherValues.Count} value{(r.OtherValues.Count == 1 ? "" : "s")} outside the state dict"));
            foreach (var v in r.OtherValues.Take(20)) stderr.WriteLine("  " + Display.OneLine($"{(v.Path.Length == 0 ? "(root)" : v.Path)}: {v.Description}"));
            if (r.OtherValues.Count > 20) stderr.WriteLine($"  ... and {r.OtherValues.Count - 20} more");
        }
        if (quiet) { stderr.Flush(); return; }
        foreach (var n in r.Notes) stderr.WriteLine(Display.OneLine("note: " + n));
        foreach (var rule in r.KeyRules.Where(k => k.Touched > 0))
            stderr.WriteLine(Display.OneLine($"{rule.Rule}: {rule.Touched.ToString("N0", inv)} key{(rule.Touched == 1 ? "" : "s")}"));
        if (r.Cast is { } cast)
        {
            var reasons = cast.Untouched.GroupBy(u => u.Reason).Select(g => $"{g.Count()} {g.Key}");
            stderr.WriteLine(Display.OneLine($"cast {cast.Cast.Count.ToString("N0", inv)} tensor{(cast.Cast.Count == 1 ? "" : "s")}" +
                (cast.Untouched.Count > 0 ? $"; left {cast.Untouched.Count.ToString("N0", inv)} as they were ({string.Join(", ", reasons)})" : "")));
        }
        foreach (var (alias, kept) in r.Aliases.Take(20))
            stderr.WriteLine(Display.OneLine($"'{alias}' shares '{kept}': written once, alias recorded in __metadata__"));
        if (r.Aliases.Count > 20) stderr.WriteLine($"... and {r.Aliases.Count - 20} more aliases");
        string verified = r.Verified ? ", verified" : "";
        if (r.IndexPath is not null)
            stderr.WriteLine(Display.OneLine($"wrote {r.Files.Count} shards and {r.IndexPath} ({r.TensorCount.ToString("N0", inv)} tensors, {r.Bytes.ToString("N0", inv)} bytes of data{verified})"));
        else
            foreach (var f in r.Files)
                stderr.WriteLine(Display.OneLine($"wrote {f} ({new FileInfo(f).Length.ToString("N0", inv)} bytes, {r.TensorCount.ToString("N0", inv)} tensors{verified})"));
        stderr.Flush();
    }

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return code;
    }
}
