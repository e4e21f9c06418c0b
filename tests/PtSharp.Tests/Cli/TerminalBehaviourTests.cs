using System.Diagnostics;
using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Writing;

namespace PtSharp.Tests.Cli;

/// <summary>
/// <c>pt</c> at the terminal (issue 11): table width, grouped scan findings, output files, convert's overwrite
/// rules, dry runs, interrupts, stdin, and the messages that replace raw .NET text. Width, signals and stdin are
/// tested on the real process.
/// </summary>
public sealed class TerminalBehaviourTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-terminal-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Temp(string name) => Path.Combine(_dir.FullName, name);

    private static string Fixture(string relative) => Path.Combine(RepoPaths.Fixtures, relative);

    private static CliProcess.Result RunPt(Action<ProcessStartInfo>? configure, params string[] args)
    {
        using var p = CliProcess.Start(configure, args);
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "pt did not exit within 60 s");
        return new CliProcess.Result(p.ExitCode, stdout, stderr.Result);
    }

    private static Action<ProcessStartInfo> Columns(int n) => psi => psi.Environment["COLUMNS"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A state dict whose key names are 150 characters long: its table row would be ~200 characters.</summary>
    private string LongNames()
    {
        var path = Temp("long_names.pt");
        var prefix = string.Concat(Enumerable.Repeat("encoder.layers.", 10));
        PtWriter.SaveStateDict(path,
        [
            new(prefix + "attention.query_projection.weight", PtTensor.FromArray(new float[12], [3, 4])),
            new(prefix + "attention.query_projection.bias", PtTensor.FromArray(new float[3], [3])),
        ]);
        return path;
    }

    // ---- table width -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(80)]
    [InlineData(160)]
    public void Inspect_table_fits_the_terminal_width(int columns)
    {
        var file = LongNames();
        var r = RunPt(Columns(columns), "inspect", file);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= columns, $"{l.Length} > {columns}: {l}"));
        // The name column wraps instead of being dropped: every piece of the name is still there.
        string joined = string.Concat(lines.Select(l => l.Trim()));
        Assert.Contains("attention.query_projection.weight", joined.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("float32", StringComparison.Ordinal) && l.Contains("[3, 4]", StringComparison.Ordinal));
        if (columns == 160) Assert.Contains(lines, l => l.Length > 80); // the width is used, not a fixed 80
    }

    [Fact]
    public void Piped_output_without_COLUMNS_is_not_wrapped()
    {
        var r = RunPt(psi => psi.Environment.Remove("COLUMNS"), "inspect", LongNames());
        Assert.Contains(r.Stdout.ReplaceLineEndings("\n").Split('\n'), l => l.Contains("attention.query_projection.weight", StringComparison.Ordinal) && l.Length > 160);
    }

    [Fact]
    public void Scan_table_fits_80_columns()
    {
        var r = RunPt(Columns(80), "scan", Fixture("torch-2.6/torchscript_scripted.pt"));
        // Table lines (indented, or the rule) fit; a file's verdict line keeps its whole path, for copying.
        var table = r.Stdout.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) || l.StartsWith('─')).ToList();
        Assert.True(table.Count >= 4, r.Stdout);
        Assert.All(table, l => Assert.True(l.Length <= 80, $"{l.Length}: {l}"));
        Assert.Contains(table, l => l.Contains("unknown-global", StringComparison.Ordinal) && l.Contains(" 4 ", StringComparison.Ordinal));
    }

    // ---- scan output -------------------------------------------------------------------------------------------

    private static (int Code, string Stdout, string Stderr) Scan(string[] paths, bool verbose = false, string? sarif = null, string? output = null, bool json = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ScanCommand.Run(stdout, stderr, paths, json, sarif, strict: false, recursive: false, allow: [], verbose, output);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Scan_of_torchscript_reports_one_row_per_kind_with_a_count()
    {
        var file = Fixture("torch-2.6/torchscript_scripted.pt");
        var (_, grouped, _) = Scan([file]);
        var rows = grouped.Split('\n').Where(l => l.TrimStart().StartsWith("warning", StringComparison.Ordinal)).ToList();
        var row = Assert.Single(rows);
        Assert.Contains("unknown-global", row, StringComparison.Ordinal);
        // torch 2.6's scripted fixture: 4 module classes in data.pkl (build_intlist in the debug pickles is a
        // TorchScript list helper, judged inert since verdicts go by use).
        Assert.Matches(@"unknown-global\s+4\s", row);

        var (_, verbose, _) = Scan([file], verbose: true);
        Assert.Equal(4, verbose.Split('\n').Count(l => l.TrimStart().StartsWith("warning", StringComparison.Ordinal)));
    }

    [Fact]
    public void Clean_files_are_one_line_each_unless_verbose()
    {
        var second = Fixture("torch-2.6/mlp_state_dict.pt");
        var (code, stdout, _) = Scan([RepoPaths.Samples + "/tiny_mlp.pt", second]);
        Assert.Equal(0, code);
        var lines = stdout.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(4, lines.Count); // two files, a blank line, the summary
        Assert.EndsWith("tiny_mlp.pt: clean (torch zip, 1 pickle(s))", lines[0], StringComparison.Ordinal);
        Assert.Contains("mlp_state_dict.pt: clean (torch zip", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("Severity", stdout, StringComparison.Ordinal);

        // A file that is not a model is not clean (issue 9): one line, exit 2; --verbose lists its finding.
        var notModel = Temp("notes.txt");
        File.WriteAllText(notModel, "hello");
        var (textCode, text, _) = Scan([notModel]);
        Assert.Equal(ExitCodes.ScanError, textCode);
        Assert.Contains("notes.txt: UNREADABLE", text, StringComparison.Ordinal);
        var (_, verbose, _) = Scan([notModel], verbose: true);
        Assert.Contains("Severity", verbose, StringComparison.Ordinal);
        Assert.Contains("not-a-model", verbose, StringComparison.Ordinal);
    }

    [Fact]
    public void Sarif_dash_goes_to_stdout_alone()
    {
        var (code, stdout, _) = Scan([Fixture("torch-2.6/torchscript_scripted.pt")], sarif: "-");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("2.1.0", doc.RootElement.GetProperty("version").GetString());
        Assert.NotEmpty(doc.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray());
    }

    [Fact]
    public void Output_option_writes_the_report_to_a_file_and_nothing_to_stdout()
    {
        var report = Temp("scan.json");
        var (code, stdout, _) = Scan([RepoPaths.Samples + "/tiny_mlp.pt"], json: true, output: report);
        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        using (var doc = JsonDocument.Parse(File.ReadAllText(report)))
            Assert.Equal(1, doc.RootElement.GetProperty("summary").GetProperty("files").GetInt32());

        var inspected = Temp("inspect.json");
        var so = new StringWriter();
        var se = new StringWriter();
        Assert.Equal(0, InspectCommand.Run(so, se, RepoPaths.Samples + "/tiny_mlp.pt", json: true, stats: false, code: false, strict: false, outputPath: inspected));
        Assert.Equal("", so.ToString());
        using (var doc = JsonDocument.Parse(File.ReadAllText(inspected)))
            Assert.Equal(67, doc.RootElement.GetProperty("parameter_count").GetInt64());
        Assert.Empty(Directory.GetFiles(_dir.FullName, "*.tmp"));
    }

    [Fact]
    public void Output_into_a_missing_folder_names_the_folder()
    {
        var missing = Path.Combine(_dir.FullName, "no-such-folder");
        var se = new StringWriter();
        int code = InspectCommand.Run(new StringWriter(), se, RepoPaths.Samples + "/tiny_mlp.pt", json: true, stats: false, code: false, strict: false, outputPath: Path.Combine(missing, "x.json"));
        Assert.NotEqual(0, code);
        Assert.Equal($"error: cannot write {Path.Combine(missing, "x.json")}: folder {missing} does not exist", se.ToString().Trim());
    }

    [Fact]
    public void Inspect_of_several_files_prints_a_summary_line_each()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var missing = Temp("missing.pt");
        int code = InspectCommand.RunSeveral(stdout, stderr,
            [RepoPaths.Samples + "/tiny_mlp.pt", Fixture("torch-1.13/checkpoint_adam.pt"), missing], strict: false);
        Assert.Equal(ExitCodes.Unreadable, code); // one of them cannot be read
        var lines = stdout.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Matches(@"^pt\s+state_dict\s+4 tensors\s+67 elements\s+268 B\s+.*tiny_mlp\.pt$", lines[0]);
        Assert.Matches(@"^pt\s+checkpoint\s+\d+ tensors\s+[\d,]+ elements\s+.*checkpoint_adam\.pt$", lines[1]);
        Assert.Matches(@"^error\s+.*missing\.pt: no such file$", lines[2]);
        // Columns line up: the path starts at the same place on every readable line.
        Assert.Equal(lines[0].IndexOf(RepoPaths.Samples, StringComparison.Ordinal), lines[1].IndexOf(RepoPaths.Fixtures, StringComparison.Ordinal));
    }

    // ---- convert rules -----------------------------------------------------------------------------------------

    private static (int Code, string Stdout, string Stderr) Convert(string input, string output, ConvertCommand.Settings settings)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ConvertCommand.Run(stdout, stderr, input, output, settings);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string CopyOfSample()
    {
        var path = Temp("tiny.pt");
        File.Copy(Path.Combine(RepoPaths.Samples, "tiny_mlp.pt"), path, overwrite: true);
        return path;
    }

    [Fact]
    public void Convert_refuses_an_existing_output_without_force_and_leaves_it()
    {
        var output = Temp("existing.safetensors");
        File.WriteAllText(output, "keep me");
        var (code, _, stderr) = Convert(CopyOfSample(), output, new ConvertCommand.Settings { Quiet = true });
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"error: {output} exists: pass --force to replace it", stderr.Trim());
        Assert.Equal("keep me", File.ReadAllText(output));

        Assert.Equal(ExitCodes.Ok, Convert(CopyOfSample(), output, new ConvertCommand.Settings { Quiet = true, Force = true }).Code);
        using var written = PtSharp.Safetensors.SafetensorsFile.Open(output);
        Assert.Equal(4, written.Tensors.Count);
    }

    [Fact]
    public void Convert_never_overwrites_its_own_input_even_with_force()
    {
        var input = CopyOfSample();
        byte[] before = File.ReadAllBytes(input);
        var link = Temp("link.pt");
        File.CreateSymbolicLink(link, input);
        foreach (var output in new[] { input, link, Path.Combine(_dir.FullName, ".", "tiny.pt") })
        {
            var (code, _, stderr) = Convert(input, output, new ConvertCommand.Settings { Quiet = true, Force = true });
            Assert.Equal(ExitCodes.Usage, code);
            Assert.Contains("is the input file: pt convert never overwrites its input", stderr, StringComparison.Ordinal);
        }
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void Dry_run_lists_files_keys_dtypes_and_shapes_and_writes_nothing()
    {
        var output = Temp("model.safetensors");
        var (code, stdout, _) = Convert(CopyOfSample(), output, new ConvertCommand.Settings { DryRun = true, MaxShardSize = "100", DType = "bf16" });
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Empty(Directory.GetFiles(_dir.FullName, "model*"));
        Assert.Contains("dry run: nothing written", stdout, StringComparison.Ordinal);
        // 268 bytes of float32 cast to bf16 are 134 bytes: more than one 100-byte shard. Every shard and the index are listed.
        Assert.Contains("model-00001-of-00002.safetensors: ", stdout, StringComparison.Ordinal);
        Assert.Contains("model-00002-of-00002.safetensors: ", stdout, StringComparison.Ordinal);
        Assert.Contains("model.safetensors.index.json: shard index", stdout, StringComparison.Ordinal);
        Assert.Matches(@"fc1\.weight\s+bfloat16\s+\[8, 4\]", stdout);
        Assert.Matches(@"fc2\.bias\s+bfloat16\s+\[3\]", stdout);
    }

    [Fact]
    public void Include_that_matches_nothing_is_an_error_and_writes_nothing()
    {
        var output = Temp("none.safetensors");
        var (code, _, stderr) = Convert(CopyOfSample(), output, new ConvertCommand.Settings { Quiet = true, Include = ["^decoder\\."] });
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no key matches the include pattern '^decoder\\.'", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Empty_paths_say_so()
    {
        Assert.Equal("error: the input path is empty: give a file name", Convert("", Temp("x.pt"), new ConvertCommand.Settings()).Stderr.Trim());
        Assert.Equal("error: the output path is empty: give a file name", Convert(CopyOfSample(), "", new ConvertCommand.Settings()).Stderr.Trim());
        var se = new StringWriter();
        Assert.Equal(ExitCodes.Usage, InspectCommand.Run(new StringWriter(), se, "", json: false, stats: false, code: false, strict: false));
        Assert.Equal("error: the input path is empty: give a file name", se.ToString().Trim());
        var (_, _, scanErr) = Scan([""]);
        Assert.Equal("error: an empty path was given: name a file or folder", scanErr.Trim());
    }

    [Fact]
    public void Bad_tolerance_says_not_a_number_without_dotnet_type_names()
    {
        var r = RunPt(null, "diff", "samples/tiny_mlp.pt", "samples/tiny_mlp.pt", "--atol", "abc");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--atol 'abc' is not a number", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, RunPt(null, "diff", "samples/tiny_mlp.pt", "samples/tiny_mlp.pt", "--atol", "1e-6").ExitCode);
    }

    // ---- stdin and signals (real process) ----------------------------------------------------------------------

    [Fact]
    public async Task Inspect_reads_stdin_and_a_fifo()
    {
        byte[] sample = File.ReadAllBytes(Path.Combine(RepoPaths.Samples, "tiny_mlp.pt"));
        using (var p = CliProcess.Start(psi => psi.RedirectStandardInput = true, "inspect", "--json", "-"))
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            p.StandardInput.BaseStream.Write(sample);
            p.StandardInput.Close();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
            using var doc = JsonDocument.Parse(await stdout);
            Assert.Equal("stdin", doc.RootElement.GetProperty("path").GetString());
            Assert.Equal(67, doc.RootElement.GetProperty("parameter_count").GetInt64());
        }

        var fifo = Temp("model.fifo");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        var writer = Task.Run(() => File.WriteAllBytes(fifo, sample)); // blocks until pt opens the FIFO
        var r = RunPt(null, "inspect", "--json", fifo);
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var doc = JsonDocument.Parse(r.Stdout))
            Assert.Equal(4, doc.RootElement.GetProperty("tensors").GetArrayLength());
    }

    [Fact]
    public async Task Stdin_over_the_limit_is_refused_with_the_limit_named()
    {
        using var p = CliProcess.Start(psi => { psi.RedirectStandardInput = true; psi.Environment["PT_STDIN_LIMIT"] = "100"; }, "inspect", "-");
        var stderr = p.StandardError.ReadToEndAsync();
        try { p.StandardInput.BaseStream.Write(File.ReadAllBytes(Path.Combine(RepoPaths.Samples, "tiny_mlp.pt"))); p.StandardInput.Close(); }
        catch (IOException) { } // pt may stop reading (and close the pipe) once over the limit
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(ExitCodes.Unreadable, p.ExitCode);
        Assert.Contains("stdin is larger than the 100 B read from a pipe (PT_STDIN_LIMIT)", await stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"pt-stdin-{p.Id}-*"));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_during_convert_removes_the_temporary_file_and_exits_130(string signal)
    {
        // 256 MiB of data: long enough to catch the write in progress on a shared 2-core machine.
        var input = Temp("big.pt");
        PtWriter.SaveStateDict(input, [new("w", PtTensor.FromArray(new float[64 << 20], [64 << 20]))]);
        var outDir = Directory.CreateDirectory(Temp("out")).FullName;
        var output = Path.Combine(outDir, "big_copy.pt");

        using var p = CliProcess.Start((Action<ProcessStartInfo>?)null, "convert", input, output, "--quiet", "--state-dict");
        var stderr = p.StandardError.ReadToEndAsync();
        var watch = Stopwatch.StartNew();
        while (Directory.GetFiles(outDir, "*.tmp").Length == 0 && !p.HasExited && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(2);
        Assert.False(p.HasExited, "convert finished before the signal could be sent");
        using (var kill = Process.Start("kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));

        Assert.Equal(130, p.ExitCode);
        Assert.Contains("interrupted: nothing was written", await stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(outDir));
    }
}
