using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Conversion;
using PtSharp.Diff;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tests.Safetensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Conversion;

/// <summary><c>pt convert</c> with safetensors output, sharding, key surgery and casts: results, reports, exit codes.</summary>
public sealed class ConvertSafetensorsCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-convst-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_dir.FullName, name);

    private static string Fixture(string relative) => Path.Combine(RepoPaths.Fixtures, relative);

    private static (int Code, string Stderr) Convert(string input, string output, ConvertCommand.Settings? settings = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ConvertCommand.Run(stdout, stderr, input, output, settings ?? new ConvertCommand.Settings());
        Assert.Empty(stdout.ToString());
        return (code, stderr.ToString());
    }

    private static void AssertSameValues(string a, string b)
    {
        using var x = StateDictSource.Open(a);
        using var y = StateDictSource.Open(b);
        var d = CheckpointDiff.Compare(x.Tensors, y.Tensors);
        Assert.True(d.Equal, string.Join("; ", d.OnlyInA.Concat(d.OnlyInB).Concat(d.Tensors.Where(t => !t.Equal).Select(t => t.Name))));
    }

    [Fact]
    public void Pt_to_safetensors_and_back_reties_the_tied_weights()
    {
        var input = Fixture("torch-2.6/views.pt");
        var (code, stderr) = Convert(input, Out("views.safetensors"));
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("'tied2' shares 'tied1'", stderr);
        Assert.Contains("verified", stderr);
        AssertSameValues(input, Out("views.safetensors"));

        (code, stderr) = Convert(Out("views.safetensors"), Out("views_back.pt"));
        Assert.True(code == ExitCodes.Ok, stderr);
        AssertSameValues(input, Out("views_back.pt"));
        using var back = PtFile.Open(Out("views_back.pt"));
        var sd = back.StateDict.ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Same(sd["tied1"].Storage, sd["tied2"].Storage);
        Assert.Equal(PtKind.StateDict, back.Kind);
    }

    [Fact]
    public void A_checkpoint_is_unwrapped_and_the_values_left_out_are_reported()
    {
        var input = Fixture("torch-1.13/checkpoint_adam.pt");
        var (code, stderr) = Convert(input, Out("ckpt.safetensors"));
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("not written (safetensors holds tensors only)", stderr);
        Assert.Contains("  optimizer_state_dict: dict", stderr);
        Assert.Contains("  epoch: int", stderr);
        Assert.Contains("note: the checkpoint's state dict is its 'model_state_dict' entry", stderr);
        using var original = PtFile.Open(input);
        using var st = SafetensorsFile.Open(Out("ckpt.safetensors"));
        Assert.Equal(original.StateDict.Select(t => t.Name), st.Entries.Select(e => e.Name));
    }

    [Fact]
    public void Key_selects_the_entry_to_convert()
    {
        var (code, stderr) = Convert(Fixture("torch-1.13/checkpoint_adam.pt"), Out("opt.safetensors"), new ConvertCommand.Settings { Key = "optimizer_state_dict.state" });
        Assert.True(code == ExitCodes.Ok, stderr);
        using var st = SafetensorsFile.Open(Out("opt.safetensors"));
        Assert.Contains(st.Entries, e => e.Name.EndsWith("exp_avg", StringComparison.Ordinal));
    }

    [Fact]
    public void Strip_prefix_turns_a_dataparallel_state_dict_into_a_plain_one()
    {
        var (code, stderr) = Convert(Fixture("torch-2.6/dataparallel_state_dict.pt"), Out("plain.safetensors"),
            new ConvertCommand.Settings { StripPrefix = ["module."], Exclude = ["^nothing-matches-this$"] });
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Matches(@"--strip-prefix module\.: \d+ keys", stderr);
        Assert.Contains("warning: --exclude ^nothing-matches-this$ matched no key", stderr);
        using var st = SafetensorsFile.Open(Out("plain.safetensors"));
        Assert.DoesNotContain(st.Entries, e => e.Name.StartsWith("module.", StringComparison.Ordinal));
    }

    [Fact]
    public void Rename_include_and_add_prefix_shape_the_keys()
    {
        var (code, stderr) = Convert(Fixture("torch-2.6/cnn_bn_state_dict.pt"), Out("k.safetensors"), new ConvertCommand.Settings
        {
            Include = ["^(conv|bn)\\."],
            Exclude = ["num_batches_tracked"],
            Rename = ["^bn\\.=norm."],
            AddPrefix = "backbone.",
        });
        Assert.True(code == ExitCodes.Ok, stderr);
        using var st = SafetensorsFile.Open(Out("k.safetensors"));
        Assert.Equal(["backbone.conv.weight", "backbone.conv.bias", "backbone.norm.weight", "backbone.norm.bias", "backbone.norm.running_mean", "backbone.norm.running_var"], st.Entries.Select(e => e.Name));
    }

    [Fact]
    public void Two_keys_becoming_one_is_a_usage_error_and_writes_nothing()
    {
        var (code, stderr) = Convert(Fixture("torch-2.6/cnn_bn_state_dict.pt"), Out("c.safetensors"), new ConvertCommand.Settings { Rename = ["\\.(weight|bias)$=.param"] });
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("both become", stderr);
        Assert.False(File.Exists(Out("c.safetensors")));
    }

    [Fact]
    public void Dtype_casts_floats_except_excluded_keys_and_keeps_integers()
    {
        var (code, stderr) = Convert(Fixture("torch-2.6/cnn_bn_state_dict.pt"), Out("bf16.safetensors"),
            new ConvertCommand.Settings { DType = "bf16", DTypeInclude = ["^(conv|fc)\\."] });
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("cast 4 tensors", stderr);
        using var st = SafetensorsFile.Open(Out("bf16.safetensors"));
        var types = st.Entries.ToDictionary(e => e.Name, e => e.DType);
        Assert.Equal(SafetensorsDType.BF16, types["conv.weight"]);
        Assert.Equal(SafetensorsDType.F32, types["bn.weight"]);
        Assert.Equal(SafetensorsDType.I64, types["bn.num_batches_tracked"]);
    }

    [Fact]
    public void Max_shard_size_writes_shards_and_an_index_that_convert_back()
    {
        var input = Fixture("torch-2.6/cnn_bn_state_dict.pt");
        var (code, stderr) = Convert(input, Out("model.safetensors"), new ConvertCommand.Settings { MaxShardSize = "100B" });
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("shards and", stderr);
        var index = JsonDocument.Parse(File.ReadAllText(Out("model.safetensors.index.json"))).RootElement;
        int shards = index.GetProperty("weight_map").EnumerateObject().Select(p => p.Value.GetString()).Distinct().Count();
        Assert.True(shards >= 3, $"{shards} shards");
        (code, stderr) = Convert(_dir.FullName, Out("whole.pt"));
        Assert.True(code == ExitCodes.Ok, stderr);
        AssertSameValues(input, Out("whole.pt"));
    }

    [Fact]
    public void A_tensor_safetensors_cannot_hold_fails_with_exit_3_and_names_it()
    {
        var (code, stderr) = Convert(Fixture("torch-2.6/dtypes.pt"), Out("d.safetensors"));
        Assert.Equal(ExitCodes.WriteFailed, code);
        Assert.Contains("complex128", stderr);
        Assert.Contains("exclude it", stderr);
        Assert.False(File.Exists(Out("d.safetensors")));
        (code, stderr) = Convert(Fixture("torch-2.6/dtypes.pt"), Out("d.safetensors"), new ConvertCommand.Settings { Exclude = ["complex128"] });
        Assert.True(code == ExitCodes.Ok, stderr);
    }

    [Theory]
    [InlineData("dtype")]
    [InlineData("regex")]
    [InlineData("size")]
    [InlineData("rename")]
    [InlineData("dtype-include")]
    public void Bad_options_are_usage_errors(string which)
    {
        var settings = which switch
        {
            "dtype" => new ConvertCommand.Settings { DType = "int4" },
            "regex" => new ConvertCommand.Settings { Include = ["("] },
            "size" => new ConvertCommand.Settings { MaxShardSize = "lots" },
            "rename" => new ConvertCommand.Settings { Rename = ["no-equals"] },
            _ => new ConvertCommand.Settings { DTypeInclude = ["x"] },
        };
        var (code, stderr) = Convert(Fixture("torch-2.6/mlp_state_dict.pt"), Out("x.safetensors"), settings);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Key_on_a_safetensors_input_is_a_usage_error()
    {
        Assert.Equal(ExitCodes.Ok, Convert(Fixture("torch-2.6/mlp_state_dict.pt"), Out("m.safetensors")).Code);
        Assert.Equal(ExitCodes.Usage, Convert(Out("m.safetensors"), Out("m.pt"), new ConvertCommand.Settings { Key = "x" }).Code);
    }

    [Fact]
    public void A_corrupt_safetensors_input_exits_2()
    {
        File.WriteAllBytes(Out("bad.safetensors"), SafetensorsBytes.Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", [1, 2, 3]));
        var (code, stderr) = Convert(Out("bad.safetensors"), Out("x.pt"));
        Assert.Equal(ExitCodes.Unreadable, code);
        Assert.Contains("need 8 data bytes", stderr);
    }

    [Fact]
    public void Torchscript_exports_its_state_dict_to_safetensors()
    {
        var (code, stderr) = Convert(Fixture("torch-2.6/torchscript_scripted.pt"), Out("ts.safetensors"));
        Assert.True(code == ExitCodes.Ok, stderr);
        using var original = PtFile.Open(Fixture("torch-2.6/torchscript_scripted.pt"));
        using var st = SafetensorsFile.Open(Out("ts.safetensors"));
        Assert.Equal(original.StateDict.Count, st.Entries.Count + st.Aliases.Count);
    }
}
