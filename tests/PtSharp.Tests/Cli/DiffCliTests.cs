using System.Globalization;
using System.Text.Json;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary>The files torch 1.13 writes for <see cref="DiffCliTests"/> (tests/interop/diff_cases.py).</summary>
public sealed class DiffCliFiles : IDisposable
{
    public DiffCliFiles()
    {
        Dir = Directory.CreateTempSubdirectory("ptsharp-diff-cli-").FullName;
        var (code, stdout, stderr) = Oracle.Run("1.13",
            [Path.Combine(RepoPaths.Root, "tests", "interop", "diff_cases.py"), Dir], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"diff_cases.py failed ({code}): {stderr}\n{stdout}");
        Expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, "expected.json"))).RootElement.Clone();
    }

    public string Dir { get; }

    /// <summary>torch's answers (see diff_cases.py).</summary>
    public JsonElement Expected { get; }

    public string this[string name] => Path.Combine(Dir, name);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>
/// <c>pt diff</c> through the real CLI process on files torch wrote: every tensor of two training checkpoints
/// (optimizer state included) unless <c>--state-dict</c>, <c>--ignore-dtype</c>, key rules on one side, summary
/// before the table, <c>--all</c>, <c>-o</c> for <c>--json</c>, and the table fitting <c>COLUMNS</c>.
/// </summary>
public sealed class DiffCliTests(DiffCliFiles files) : IClassFixture<DiffCliFiles>
{
    private static CliProcess.Result Pt(params string[] args) => CliProcess.Run(TimeSpan.FromSeconds(60), args);

    private static CliProcess.Result PtColumns(int columns, params string[] args)
    {
        using var p = CliProcess.Start(
            psi => psi.Environment["COLUMNS"] = columns.ToString(CultureInfo.InvariantCulture), args);
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        return new CliProcess.Result(p.ExitCode, stdout, stderr.Result);
    }

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    [Fact]
    public void Two_training_checkpoints_compare_every_tensor_including_the_optimizer_state()
    {
        Assert.True(files.Expected.GetProperty("model_equal").GetBoolean());
        var r = Pt("diff", files["ckpt_a.pt"], files["ckpt_b.pt"], "--json");
        Assert.Equal(1, r.ExitCode);
        var root = Json(r.Stdout);
        Assert.Equal("every_tensor", root.GetProperty("compared").GetString());
        var different = root.GetProperty("tensors").EnumerateArray().Where(t => !t.GetProperty("equal").GetBoolean())
            .Select(t => t.GetProperty("key").GetString()!).ToList();
        Assert.NotEmpty(different);
        Assert.All(different, k => Assert.StartsWith("optimizer_state_dict.state.", k));
        var expAvg = root.GetProperty("tensors").EnumerateArray()
            .Single(t => t.GetProperty("key").GetString() == "optimizer_state_dict.state.0.exp_avg");
        Assert.Equal(files.Expected.GetProperty("optimizer_exp_avg_max_abs").GetDouble(),
            expAvg.GetProperty("max_abs_diff").GetDouble(), 12);
        int optimizerTensors = root.GetProperty("tensors").EnumerateArray()
            .Count(t =>
                t.GetProperty("key").GetString()!.StartsWith("optimizer_state_dict.", StringComparison.Ordinal));
        Assert.Equal(files.Expected.GetProperty("optimizer_tensors").GetInt32(), optimizerTensors);
    }

    [Fact]
    public void State_dict_option_compares_only_the_model_which_is_equal()
    {
        var r = Pt("diff", files["ckpt_a.pt"], files["ckpt_b.pt"], "--state-dict");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("compared: state dicts", r.Stdout);
        Assert.Contains("result: equal", r.Stdout);
    }

    [Fact]
    public void Summary_comes_first_and_the_table_lists_only_differences_unless_all()
    {
        var r = Pt("diff", files["ckpt_a.pt"], files["ckpt_b.pt"]);
        Assert.Equal(1, r.ExitCode);
        int result = r.Stdout.IndexOf("result: different", StringComparison.Ordinal);
        int table = r.Stdout.IndexOf("different values (", StringComparison.Ordinal);
        Assert.True(result > 0 && table > result, r.Stdout);
        Assert.DoesNotContain("model_state_dict.0.weight", r.Stdout);
        Assert.Contains("optimizer_state_dict.state.0.exp_avg ", r.Stdout);

        var all = Pt("diff", files["ckpt_a.pt"], files["ckpt_b.pt"], "--all");
        Assert.Contains("all shared tensors (", all.Stdout);
        var row = all.Stdout.Split('\n')
            .Single(l => l.TrimStart().StartsWith("model_state_dict.0.weight ", StringComparison.Ordinal));
        Assert.Contains(" equal ", row);
    }

    [Fact]
    public void Ignore_dtype_makes_a_float16_conversion_equal_and_still_finds_a_changed_value()
    {
        Assert.True(files.Expected.GetProperty("half_equal_after_cast").GetBoolean());
        var plain = Pt("diff", files["sd.pt"], files["half.pt"]);
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("dtype/shape changes (4):", plain.Stdout);

        var ignored = Pt("diff", files["sd.pt"], files["half.pt"], "--ignore-dtype");
        Assert.True(ignored.ExitCode == 0, ignored.Stdout + ignored.Stderr);
        Assert.Contains("result: equal", ignored.Stdout);

        var off = Pt("diff", files["sd.pt"], files["half_off.pt"], "--ignore-dtype", "--json");
        Assert.Equal(1, off.ExitCode);
        var w = Json(off.Stdout).GetProperty("tensors").EnumerateArray()
            .Single(t => t.GetProperty("key").GetString() == "0.weight");
        Assert.Equal(1, w.GetProperty("mismatched").GetInt64());
        Assert.Equal(files.Expected.GetProperty("half_off_max_abs").GetDouble(),
            w.GetProperty("max_abs_diff").GetDouble());
        Assert.True(Json(off.Stdout).GetProperty("ignore_dtype").GetBoolean());
    }

    [Fact]
    public void Strip_prefix_and_rename_apply_to_one_side_only()
    {
        var plain = Pt("diff", files["ddp.pt"], files["sd.pt"], "--json");
        Assert.Equal(1, plain.ExitCode);
        Assert.Equal(4, Json(plain.Stdout).GetProperty("only_in_a").GetArrayLength());

        var stripped = Pt("diff", files["ddp.pt"], files["sd.pt"], "--strip-prefix-a", "module.");
        Assert.True(stripped.ExitCode == 0, stripped.Stdout + stripped.Stderr);
        Assert.Equal("", stripped.Stderr);

        var renamed = Pt("diff", files["sd.pt"], files["ddp.pt"], "--rename-b", @"^module\.=");
        Assert.True(renamed.ExitCode == 0, renamed.Stdout + renamed.Stderr);

        // The wrong side: B has no such prefix; the rule is reported and the keys still differ.
        var wrong = Pt("diff", files["ddp.pt"], files["sd.pt"], "--strip-prefix-b", "module.");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal("warning: --strip-prefix-b module. matched no key", wrong.Stderr.Trim());
    }

    [Fact]
    public void Colliding_renames_and_bad_patterns_are_one_error_line_exit_2()
    {
        var collide = Pt("diff", files["sd.pt"], files["sd.pt"], "--rename-a", @"\.(weight|bias)$=.x");
        Assert.Equal(2, collide.ExitCode);
        Assert.StartsWith("error: ", collide.Stderr);
        Assert.Contains("both become", collide.Stderr);
        Assert.Single(collide.Stderr.Trim().Split('\n'));
        var bad = Pt("diff", files["sd.pt"], files["sd.pt"], "--rename-a", "(=x");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("not a valid regular expression", bad.Stderr);
        Assert.Equal("", bad.Stdout);
    }

    [Fact]
    public void Json_goes_to_the_output_file()
    {
        string output = files["report.json"];
        var r = Pt("diff", files["ckpt_a.pt"], files["ckpt_b.pt"], "--json", "-o", output);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.False(Json(File.ReadAllText(output)).GetProperty("equal").GetBoolean());
        var missing = Pt("diff", files["sd.pt"], files["sd.pt"], "--json", "-o", files["no-such-folder/r.json"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("folder " + Path.Combine(files.Dir, "no-such-folder") + " does not exist", missing.Stderr);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(160)]
    public void The_table_fits_the_terminal_width(int columns)
    {
        var r = PtColumns(columns, "diff", files["ckpt_a.pt"], files["ckpt_b.pt"]);
        Assert.Equal(1, r.ExitCode);
        var table = r.Stdout[r.Stdout.IndexOf("different values (", StringComparison.Ordinal)..];
        Assert.All(table.Split('\n'), line => Assert.True(line.TrimEnd().Length <= columns, line));
    }
}
