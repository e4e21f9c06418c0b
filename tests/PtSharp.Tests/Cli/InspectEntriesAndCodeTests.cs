using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary>A checkpoint and a traced archive written by one torch version, with torch's own view of them.</summary>
public abstract class InspectEntriesFiles
{
    protected InspectEntriesFiles(string version)
    {
        Dir = Directory.CreateTempSubdirectory($"ptsharp-inspect-entries-{version}-").FullName;
        var (code, stdout, stderr) = Oracle.Run(version,
            [Path.Combine(RepoPaths.Root, "tests", "interop", "inspect_entries.py"), Dir], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"inspect_entries.py failed ({code}): {stderr}\n{stdout}");
        Expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, "expected.json"))).RootElement.Clone();
    }

    /// <summary>Folder holding checkpoint.pt, traced.pt and expected.json.</summary>
    public string Dir { get; }

    /// <summary>torch's answers (see inspect_entries.py).</summary>
    public JsonElement Expected { get; }
}

/// <summary>Files written by torch 1.13.</summary>
public sealed class InspectEntriesFiles113() : InspectEntriesFiles("1.13");

/// <summary>Files written by torch 2.6 (Python 3.13: pathlib classes live in pathlib._local).</summary>
public sealed class InspectEntriesFiles26() : InspectEntriesFiles("2.6");

/// <summary>
/// <c>pt inspect --json</c> carries a checkpoint's scalars and plain configuration as torch loads them, and
/// <c>pt inspect --code RECORD</c> prints exactly the source text the archive holds.
/// </summary>
public abstract class InspectEntriesAndCodeTests(InspectEntriesFiles files)
{
    private static (int Rc, string Stdout, string Stderr) Inspect(
        string path, bool json = false, bool code = false, string? record = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = InspectCommand.Run(stdout, stderr, path, json, false, code, false, codeRecord: record);
        return (rc, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Json_entries_hold_the_values_torch_loads()
    {
        var (rc, stdout, stderr) = Inspect(Path.Combine(files.Dir, "checkpoint.pt"), json: true);
        Assert.Equal("", stderr);
        Assert.Equal(ExitCodes.Ok, rc);
        var entries = JsonDocument.Parse(stdout).RootElement.GetProperty("entries");
        var expected = files.Expected.GetProperty("entries");
        int plain = 0;
        foreach (var e in expected.EnumerateObject())
        {
            Assert.True(entries.TryGetProperty(e.Name, out var ours), $"entry {e.Name} is missing");
            Assert.True(ours.TryGetProperty("summary", out _), e.Name);
            bool isPlain = e.Value.GetProperty("plain").GetBoolean();
            Assert.True(isPlain == ours.TryGetProperty("value", out var value),
                $"{e.Name}: torch's value is {(isPlain ? "" : "not ")}plain data, ours {ours}");
            if (!isPlain) continue;
            plain++;
            Assert.True(JsonElement.DeepEquals(e.Value.GetProperty("value"), value),
                $"{e.Name}: torch {e.Value.GetProperty("value")}, ours {value}");
        }
        // Every top-level entry that is not a tensor, and nothing else.
        Assert.Equal(expected.EnumerateObject().Count(), entries.EnumerateObject().Count());
        // epoch, step, loss, best, bad, huge, finished, note, name, config, args, out_dir, rel_dir.
        Assert.Equal(13, plain);
        Assert.Equal(4, entries.GetProperty("model_state_dict").GetProperty("tensors").GetInt32());
    }

    [Fact]
    public void Code_record_prints_the_archive_text()
    {
        string path = Path.Combine(files.Dir, "traced.pt");
        var code = files.Expected.GetProperty("code").EnumerateObject().ToList();
        Assert.NotEmpty(code);
        foreach (var record in code)
        {
            var (rc, stdout, stderr) = Inspect(path, record: record.Name);
            Assert.Equal("", stderr);
            Assert.Equal(ExitCodes.Ok, rc);
            string text = record.Value.GetString()!;
            Assert.Equal(text.EndsWith('\n') ? text : text + "\n", stdout);
        }
        // The record may also be named without code/ or with the archive folder in front.
        string first = code[0].Name;
        Assert.Equal(Inspect(path, record: first).Stdout, Inspect(path, record: first["code/".Length..]).Stdout);
        Assert.Equal(Inspect(path, record: first).Stdout, Inspect(path, record: "traced/" + first).Stdout);
    }

    [Fact]
    public void Control_characters_in_a_record_are_shown_not_sent()
    {
        var (rc, stdout, _) = Inspect(Path.Combine(files.Dir, "escapes.pt"), record: "code/__torch__.py");
        Assert.Equal(ExitCodes.Ok, rc);
        Assert.StartsWith("# \\x1b[2J\\x1b]0;owned\\x07\\x0d\n", stdout);
        Assert.DoesNotContain('\x1b', stdout);
        Assert.DoesNotContain('\r', stdout);
        Assert.Contains("def forward(self", stdout);
    }

    [Fact]
    public void Unknown_code_record_names_the_ones_there()
    {
        string path = Path.Combine(files.Dir, "traced.pt");
        var (rc, stdout, stderr) = Inspect(path, record: "code/__torch__/nope.py");
        Assert.Equal(ExitCodes.Usage, rc);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("no record 'code/__torch__/nope.py'", stderr);
        foreach (var record in files.Expected.GetProperty("code").EnumerateObject())
            Assert.Contains(record.Name, stderr);
    }

    [Fact]
    public void Code_record_of_a_checkpoint_says_it_is_not_an_archive()
    {
        var (rc, _, stderr) = Inspect(Path.Combine(files.Dir, "checkpoint.pt"), record: "code/__torch__.py");
        Assert.Equal(ExitCodes.Usage, rc);
        Assert.Contains("not a TorchScript archive", stderr);
    }

    [Fact]
    public void Code_option_before_the_file_still_lists_records_in_a_process()
    {
        string path = Path.Combine(files.Dir, "traced.pt");
        var listing = CliProcess.Run(TimeSpan.FromSeconds(60), "inspect", "--code", path);
        Assert.Equal(0, listing.ExitCode);
        foreach (var record in files.Expected.GetProperty("code").EnumerateObject())
            Assert.Contains(record.Name, listing.Stdout);

        string name = files.Expected.GetProperty("code").EnumerateObject().First().Name;
        var source = CliProcess.Run(TimeSpan.FromSeconds(60), "inspect", "--code", name, path);
        Assert.Equal(0, source.ExitCode);
        Assert.Contains("def forward(self", source.Stdout);
    }
}

/// <summary>Against torch 1.13.</summary>
public sealed class InspectEntriesAndCodeTests113(InspectEntriesFiles113 files)
    : InspectEntriesAndCodeTests(files), IClassFixture<InspectEntriesFiles113>;

/// <summary>Against torch 2.6.</summary>
public sealed class InspectEntriesAndCodeTests26(InspectEntriesFiles26 files)
    : InspectEntriesAndCodeTests(files), IClassFixture<InspectEntriesFiles26>;
