using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Tests.Cli;

/// <summary>In-process tests of <c>pt inspect</c> (<see cref="InspectCommand.Run"/>) on torch-made files.</summary>
public sealed class InspectCommandTests
{
    private sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static Result Inspect(string path, bool json = false, bool stats = false, bool code = false, bool strict = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = InspectCommand.Run(stdout, stderr, path, json, stats, code, strict);
        return new Result(rc, stdout.ToString(), stderr.ToString());
    }

    private static JsonElement InspectJson(string path, bool stats = false, bool code = false, bool strict = false)
    {
        var r = Inspect(path, json: true, stats: stats, code: code, strict: strict);
        Assert.Equal("", r.Stderr);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        // Exactly one JSON document: JsonDocument.Parse rejects trailing content.
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.Clone();
    }

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    private static void AssertClose(double expected, JsonElement actual, double relative = 1e-12)
    {
        double a = actual.GetDouble();
        Assert.True(Math.Abs(a - expected) <= relative * Math.Abs(expected) + 1e-15, $"expected {expected:R}, got {a:R}");
    }

    // ---- tiny_mlp.pt: a torch 1.13 state dict of Linear(4, 8) -> ReLU -> Linear(8, 3), seed 1234 ------------------

    [Fact]
    public void Json_file_facts_match_the_zip_torch_wrote()
    {
        var root = InspectJson(CliTestFiles.TinyMlp);

        // torch.save names the archive folder after the file stem; version record "3"; data.pkl is protocol 2
        // and references exactly these globals (pickletools.genops over tiny_mlp/data.pkl).
        Assert.Equal(CliTestFiles.TinyMlp, root.GetProperty("path").GetString());
        Assert.Equal("zip", root.GetProperty("format").GetString());
        Assert.Equal("tiny_mlp", root.GetProperty("archive_name").GetString());
        Assert.Equal("3", root.GetProperty("format_version").GetString());
        Assert.Equal("little", root.GetProperty("byteorder").GetString());
        Assert.Equal(2, root.GetProperty("pickle_protocol").GetInt32());
        Assert.Equal("state_dict", root.GetProperty("kind").GetString());
        Assert.Equal(
            ["collections.OrderedDict", "torch.FloatStorage", "torch._utils._rebuild_tensor_v2"],
            root.GetProperty("globals").EnumerateArray().Select(g => g.GetString()!).ToArray());
        // 8*4 + 8 + 3*8 + 3 = 67 float32 elements.
        Assert.Equal(67, root.GetProperty("parameter_count").GetInt64());
        Assert.Equal(268, root.GetProperty("parameter_bytes").GetInt64());
        Assert.False(root.TryGetProperty("code", out _));
    }

    [Fact]
    public void Json_tensors_match_what_torch_loads()
    {
        var tensors = InspectJson(CliTestFiles.TinyMlp).GetProperty("tensors").EnumerateArray().ToArray();

        // torch.load(tiny_mlp.pt): name, shape, stride (storage_offset 0, plain detached float32 cpu tensors, one
        // storage each, keys "0".."3" in order).
        (string Name, long[] Shape, long[] Stride, long NBytes)[] expected =
        [
            ("fc1.weight", [8, 4], [4, 1], 128),
            ("fc1.bias", [8], [1], 32),
            ("fc2.weight", [3, 8], [8, 1], 96),
            ("fc2.bias", [3], [1], 12),
        ];
        Assert.Equal(expected.Length, tensors.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            var t = tensors[i];
            Assert.Equal(expected[i].Name, t.GetProperty("name").GetString());
            Assert.Equal("float32", t.GetProperty("dtype").GetString());
            Assert.Equal(expected[i].Shape, Longs(t.GetProperty("shape")));
            Assert.Equal(expected[i].Stride, Longs(t.GetProperty("stride")));
            Assert.Equal(0, t.GetProperty("storage_offset").GetInt64());
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), t.GetProperty("storage_key").GetString());
            Assert.False(t.GetProperty("requires_grad").GetBoolean());
            Assert.False(t.GetProperty("is_parameter").GetBoolean());
            Assert.Equal("strided", t.GetProperty("layout").GetString());
            Assert.Equal("cpu", t.GetProperty("device").GetString());
            Assert.False(t.GetProperty("conj").GetBoolean());
            Assert.False(t.GetProperty("neg").GetBoolean());
            Assert.Equal(expected[i].NBytes, t.GetProperty("nbytes").GetInt64());
            Assert.Equal(JsonValueKind.Null, t.GetProperty("quant").ValueKind);
            Assert.False(t.TryGetProperty("stats", out _));
        }
    }

    [Fact]
    public void Json_stats_match_torch()
    {
        var tensors = InspectJson(CliTestFiles.TinyMlp, stats: true).GetProperty("tensors").EnumerateArray().ToArray();

        // From samples/make_samples.py (torch 1.13): math.fsum over t.double().tolist(); min/max are exact.
        (double Sum, double SumSq, double Min, double Max)[] torch =
        [
            (-0.4838166832923889, 2.0007261698586554, -0.47102075815200806, 0.466511070728302),
            (0.6077404618263245, 0.6551094434015248, -0.4230230450630188, 0.45614588260650635),
            (0.3600697515066713, 0.8872529450754965, -0.35255488753318787, 0.2933903634548187),
            (0.025794759392738342, 0.06449953633636452, -0.10620933771133423, 0.21517740190029144),
        ];
        for (int i = 0; i < torch.Length; i++)
        {
            var s = tensors[i].GetProperty("stats");
            AssertClose(torch[i].Sum, s.GetProperty("sum"));
            AssertClose(torch[i].SumSq, s.GetProperty("sum_sq"));
            Assert.Equal(torch[i].Min, s.GetProperty("min").GetDouble());
            Assert.Equal(torch[i].Max, s.GetProperty("max").GetDouble());
            Assert.Equal(0, s.GetProperty("nan_count").GetInt64());
            Assert.Equal(0, s.GetProperty("inf_count").GetInt64());
            Assert.False(s.TryGetProperty("sum_imag", out _));
        }
    }

    [Fact]
    public void Json_stats_match_values_read_through_ToDoubleArray()
    {
        var tensors = InspectJson(CliTestFiles.TinyMlp, stats: true).GetProperty("tensors").EnumerateArray().ToArray();
        using var file = PtFile.Open(CliTestFiles.TinyMlp);
        Assert.Equal(file.Tensors.Count, tensors.Length);
        for (int i = 0; i < tensors.Length; i++)
        {
            var values = file.Tensors[i].Tensor.ToDoubleArray();
            var s = tensors[i].GetProperty("stats");
            AssertClose(values.Sum(), s.GetProperty("sum"), 1e-9);
            AssertClose(values.Sum(v => v * v), s.GetProperty("sum_sq"), 1e-9);
            Assert.Equal(values.Min(), s.GetProperty("min").GetDouble());
            Assert.Equal(values.Max(), s.GetProperty("max").GetDouble());

            var direct = TensorStatistics.Compute(file.Tensors[i].Tensor);
            Assert.Equal(s.GetProperty("sum").GetDouble(), direct.Sum);
            Assert.Equal(s.GetProperty("sum_sq").GetDouble(), direct.SumSq);
        }
    }

    [Fact]
    public void Json_code_is_empty_for_a_state_dict()
    {
        var root = InspectJson(CliTestFiles.TinyMlp, code: true);
        Assert.Equal(0, root.GetProperty("code").GetArrayLength());
    }

    [Fact]
    public void Strict_mode_accepts_a_plain_state_dict()
    {
        var root = InspectJson(CliTestFiles.TinyMlp, strict: true);
        Assert.Equal(4, root.GetProperty("tensors").GetArrayLength());
    }

    [Fact]
    public void Table_shows_the_file_facts_and_tensors_without_escape_codes()
    {
        var r = Inspect(CliTestFiles.TinyMlp, stats: true);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.DoesNotContain('\u001b', r.Stdout);
        var lines = r.Stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));
        Assert.Contains(lines, l => l.StartsWith("Format ", StringComparison.Ordinal) && l.EndsWith(" zip", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Archive name ", StringComparison.Ordinal) && l.EndsWith(" tiny_mlp", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Kind ", StringComparison.Ordinal) && l.EndsWith(" state_dict", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Parameters ", StringComparison.Ordinal) && l.Contains("67 (268 bytes)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Min", StringComparison.Ordinal) && l.Contains("Max", StringComparison.Ordinal));
        var row = Assert.Single(lines, l => l.TrimStart().StartsWith("fc1.weight ", StringComparison.Ordinal));
        Assert.Contains("float32", row, StringComparison.Ordinal);
        Assert.Contains("[8, 4]", row, StringComparison.Ordinal);
        Assert.Contains("-0.47102", row, StringComparison.Ordinal); // min, 5 significant digits
    }

    // ---- checkpoint and TorchScript files (embedded in CliTestFiles) ----------------------------------------------

    [Fact]
    public void Checkpoint_table_lists_the_other_top_level_entries()
    {
        var r = Inspect(CliTestFiles.Checkpoint);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        var lines = r.Stdout.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains(lines, l => l.StartsWith("Kind ", StringComparison.Ordinal) && l.EndsWith(" checkpoint", StringComparison.Ordinal));
        string Entry(string key) => Assert.Single(lines, l => l.StartsWith(key + " ", StringComparison.Ordinal) && l.Contains('=', StringComparison.Ordinal));
        Assert.EndsWith("= 3", Entry("epoch"), StringComparison.Ordinal);
        Assert.EndsWith("= 0.25", Entry("loss"), StringComparison.Ordinal);
        Assert.EndsWith("= argparse.Namespace", Entry("args"), StringComparison.Ordinal);
        Assert.EndsWith("= 'run-1'", Entry("name"), StringComparison.Ordinal);
        Assert.EndsWith("= None", Entry("best"), StringComparison.Ordinal);
        Assert.EndsWith("= OrderedDict[2] (2 tensors)", Entry("model_state_dict"), StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_json_names_tensors_by_path()
    {
        var root = InspectJson(CliTestFiles.Checkpoint);
        Assert.Equal("checkpoint", root.GetProperty("kind").GetString());
        Assert.Equal(
            ["model_state_dict.0.weight", "model_state_dict.0.bias",
             "optimizer_state_dict.state.0.momentum_buffer", "optimizer_state_dict.state.1.momentum_buffer"],
            root.GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToArray());
    }

    [Fact]
    public void Checkpoint_with_a_namespace_is_refused_in_strict_mode()
    {
        var r = Inspect(CliTestFiles.Checkpoint, json: true, strict: true);
        Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = AssertSingleErrorLine(r.Stderr);
        Assert.Contains("argparse.Namespace", line, StringComparison.Ordinal);
        Assert.Contains("checkpoint/data.pkl", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_lists_the_torchscript_code_records()
    {
        var root = InspectJson(CliTestFiles.Script, code: true);
        Assert.Equal("torchscript", root.GetProperty("format").GetString());
        Assert.Equal("torchscript", root.GetProperty("kind").GetString());
        // zipfile.ZipFile(script.pt).infolist(): the code/ members and their file_size.
        (string Name, long Size)[] expected =
        [
            ("code/__torch__/torch/nn/modules/container.py", 569),
            ("code/__torch__/torch/nn/modules/container.py.debug_pkl", 496),
            ("code/__torch__/torch/nn/modules/linear.py", 415),
            ("code/__torch__/torch/nn/modules/linear.py.debug_pkl", 333),
            ("code/__torch__/torch/nn/modules/activation.py", 315),
            ("code/__torch__/torch/nn/modules/activation.py.debug_pkl", 384),
            ("code/__torch__/torch/nn/functional.py", 161),
            ("code/__torch__/torch/nn/functional.py.debug_pkl", 838),
        ];
        Assert.Equal(expected,
            root.GetProperty("code").EnumerateArray().Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("size").GetInt64())).ToArray());
        // TorchScript modules hold plain tensors with requires_grad set for parameters.
        var weight = root.GetProperty("tensors")[0];
        Assert.Equal("0.weight", weight.GetProperty("name").GetString());
        Assert.True(weight.GetProperty("requires_grad").GetBoolean());
        Assert.False(weight.GetProperty("is_parameter").GetBoolean());
    }

    [Fact]
    public void Code_table_lists_record_names_and_sizes()
    {
        var r = Inspect(CliTestFiles.Script, code: true);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Assert.Contains(r.Stdout.ReplaceLineEndings("\n").Split('\n'),
            l => l.Contains("code/__torch__/torch/nn/modules/linear.py ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" 415", StringComparison.Ordinal));
    }

    // ---- errors ------------------------------------------------------------------------------------------------

    private static string AssertSingleErrorLine(string stderr)
    {
        var lines = stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        var line = Assert.Single(lines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
        return line;
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public void Truncated_file_is_one_error_line_with_its_location_and_exit_2(double keep)
    {
        var bytes = File.ReadAllBytes(CliTestFiles.TinyMlp);
        var path = CliTestFiles.WriteTemp("truncated.pt", bytes.AsSpan(0, (int)(bytes.Length * keep)));
        foreach (bool json in new[] { false, true })
        {
            var r = Inspect(path, json: json, stats: true);
            Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
            Assert.Equal("", r.Stdout);
            var line = AssertSingleErrorLine(r.Stderr);
            Assert.Matches(@"at byte \d+|in '[^']+'", line);
        }
    }

    [Fact]
    public void Corrupt_pickle_names_the_record()
    {
        // Overwrite the body of data.pkl (the first zip member, right after its local header) with an invalid opcode.
        var bytes = File.ReadAllBytes(CliTestFiles.TinyMlp);
        int nameLength = BitConverter.ToUInt16(bytes, 26), extraLength = BitConverter.ToUInt16(bytes, 28);
        Assert.Equal("tiny_mlp/data.pkl", System.Text.Encoding.ASCII.GetString(bytes, 30, nameLength));
        int data = 30 + nameLength + extraLength;
        bytes[data + 2] = 0xFF; // after PROTO 2
        var r = Inspect(CliTestFiles.WriteTemp("corrupt.pt", bytes), json: true);
        Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("data.pkl", AssertSingleErrorLine(r.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_exit_2()
    {
        var path = Path.Combine(Path.GetTempPath(), "ptsharp-no-such-file-" + Guid.NewGuid().ToString("N") + ".pt");
        var r = Inspect(path, json: true);
        Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"error: no such file: {path}", AssertSingleErrorLine(r.Stderr));
    }

    [Fact]
    public void Empty_file_is_exit_2()
    {
        var r = Inspect(CliTestFiles.WriteTemp("empty.pt", []), json: true);
        Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("empty", AssertSingleErrorLine(r.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_without_a_checkpoint_is_exit_2()
    {
        var empty = Directory.CreateTempSubdirectory("ptsharp-empty-");
        var r = Inspect(empty.FullName);
        empty.Delete();
        Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("directory", AssertSingleErrorLine(r.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public void Not_a_pytorch_file_is_exit_2()
    {
        var r = Inspect(CliTestFiles.WriteTemp("text.pt", "hello, world\n"u8));
        Assert.Equal(ExitCodes.Unreadable, r.ExitCode);
        Assert.Equal("", r.Stdout);
        AssertSingleErrorLine(r.Stderr);
    }

    // ---- every input kind Checkpoint.Open reads -------------------------------------------------------------------

    [Theory]
    [InlineData("torch-1.13/mlp_state_dict.pt", "zip", "state_dict", 4)]
    [InlineData("torch-1.13/legacy_state_dict.pt", "legacy", "state_dict", -1)]
    [InlineData("handbuilt/legacy_tar.pt", "legacy-tar", "state_dict", -1)]
    [InlineData("torch-1.13/torchscript_scripted.pt", "torchscript", "torchscript", -1)]
    [InlineData("torch-2.6/checkpoint_adam.pt", "zip", "checkpoint", 20)]
    public void Inspect_reads_every_pt_kind(string fixture, string format, string kind, int tensors)
    {
        string path = Path.Combine(Support.RepoPaths.Fixtures, fixture);
        var root = InspectJson(path);
        Assert.Equal(format, root.GetProperty("format").GetString());
        Assert.Equal("pt", root.GetProperty("checkpoint_format").GetString());
        Assert.Equal(kind, root.GetProperty("kind").GetString());
        Assert.Equal([path], root.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        int listed = root.GetProperty("tensors").GetArrayLength();
        Assert.True(tensors < 0 ? listed > 0 : listed == tensors, $"{listed} tensors");
        var table = Inspect(path);
        Assert.Equal(ExitCodes.Ok, table.ExitCode);
        Assert.Contains($"Format            {format}", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_reads_safetensors_a_sharded_index_and_a_shard_folder()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-inspect-kinds-");
        try
        {
            using (var source = PtFile.Open(CliTestFiles.TinyMlp))
            {
                PtSharp.Conversion.CheckpointWriter.Save(Path.Combine(dir.FullName, "one.safetensors"), source.StateDict);
                Directory.CreateDirectory(Path.Combine(dir.FullName, "shards"));
                PtSharp.Conversion.CheckpointWriter.Save(Path.Combine(dir.FullName, "shards", "model.safetensors"),
                    source.StateDict, new PtSharp.Conversion.CheckpointSaveOptions { MaxShardSize = 100 });
            }
            string single = Path.Combine(dir.FullName, "one.safetensors");
            string folder = Path.Combine(dir.FullName, "shards");
            string index = Path.Combine(folder, "model.safetensors.index.json");
            string[] names = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"];

            var st = InspectJson(single);
            Assert.Equal("safetensors", st.GetProperty("format").GetString());
            Assert.Equal("state_dict", st.GetProperty("kind").GetString());
            Assert.Equal(67, st.GetProperty("parameter_count").GetInt64());
            Assert.Equal(names, st.GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
            Assert.Equal(JsonValueKind.Null, st.GetProperty("pickle_protocol").ValueKind);

            foreach (var path in new[] { index, folder })
            {
                var sh = InspectJson(path, stats: true);
                Assert.Equal("sharded-safetensors", sh.GetProperty("format").GetString());
                Assert.Equal(index, sh.GetProperty("files")[0].GetString());
                Assert.True(sh.GetProperty("files").GetArrayLength() >= 3);
                Assert.Equal(67, sh.GetProperty("parameter_count").GetInt64());
                Assert.Equal(names.Order(), sh.GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).Order());
                // torch 1.13: fc1.weight.min() of tiny_mlp.pt, as in the .pt tests above.
                var fc1 = sh.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "fc1.weight");
                Assert.Equal(-0.47102075815200806, fc1.GetProperty("stats").GetProperty("min").GetDouble());
            }

            var table = Inspect(folder);
            Assert.Equal(ExitCodes.Ok, table.ExitCode);
            Assert.Contains("sharded-safetensors", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("fc2.bias", table.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Inspect_counts_parameters_buffers_and_other_tensors_apart()
    {
        // torch 2.6 checkpoint_adam.pt: model 212 parameters; Adam state, loss, RNG state and nested values are other.
        var root = InspectJson(Path.Combine(Support.RepoPaths.Fixtures, "torch-2.6", "checkpoint_adam.pt"));
        Assert.Equal(212, root.GetProperty("parameter_count").GetInt64());
        Assert.Equal(212 * 4, root.GetProperty("parameter_bytes").GetInt64());
        Assert.Equal(0, root.GetProperty("buffer_count").GetInt64());
        Assert.Equal(16, root.GetProperty("other_tensors").GetInt64());
        var table = Inspect(Path.Combine(Support.RepoPaths.Fixtures, "torch-2.6", "checkpoint_adam.pt")).Stdout;
        Assert.Contains("Parameters        212 (848 bytes)", table, StringComparison.Ordinal);
        Assert.Contains("Other tensors", table, StringComparison.Ordinal);
    }
}
