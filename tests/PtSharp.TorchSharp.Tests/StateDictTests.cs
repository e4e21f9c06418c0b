using System.Text.Json;
using PtSharp.TorchSharp.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// <see cref="PtTorch.LoadStateDict"/>, <c>LoadPt</c> and <see cref="PtTorch.Save"/> against files and checks by real
/// torch 1.13 and 2.6: every dtype TorchSharp has, views, tied weights, key checks, and saved files loaded by torch.
/// </summary>
public sealed class StateDictTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Versions => TorchFiles.Versions;

    [Theory]
    [MemberData(nameof(Versions))]
    public void Every_dtype_TorchSharp_has_loads_with_the_bytes_torch_wrote(string version)
    {
        if (Folder(version) is not { } dir) return;
        var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "dtypes.json"))).RootElement;
        var sd = PtTorch.LoadStateDict(Path.Combine(dir, "dtypes.pt"));
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), sd.Keys);
        foreach (var e in expected.EnumerateObject())
        {
            var t = sd[e.Name];
            Assert.True(e.Value.GetProperty("dtype").GetString() == DTypeMap.ToDType(t.dtype).Name(), e.Name);
            Assert.Equal(e.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), t.shape);
            Assert.True(e.Value.GetProperty("hex").GetString() == TensorCompare.Hex(t), $"{e.Name}: bytes differ from torch's");
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Views_keep_offset_and_strides_and_tied_weights_are_one_tensor(string version)
    {
        if (Folder(version) is not { } dir) return;
        var sd = PtTorch.LoadStateDict(Path.Combine(dir, "dtypes.pt"));
        Assert.Same(sd["embed.weight"], sd["lm_head.weight"]);
        Assert.Equal(24, sd["view_offset"].storage_offset());
        Assert.Equal([1L, 8L], sd["view_transposed"].stride());
        // The three views of `big` share one libtorch storage, as after torch.load.
        Assert.Equal(sd["view_offset"].storage<float>().data_ptr(), sd["view_transposed"].storage<float>().data_ptr());
        Assert.Equal(sd["view_offset"].storage<float>().data_ptr(), sd["view_step"].storage<float>().data_ptr());
        Assert.Equal(ScalarType.Int64, sd["num_batches_tracked"].dtype);
        Assert.Equal(7L, sd["num_batches_tracked"].item<long>());
    }

    [Fact]
    public void Float8_is_a_clear_error_naming_the_tensor_and_dtype()
    {
        string path = Path.Combine(Folder("2.6")!, "float8.pt");
        var e = Assert.Throws<PtFormatException>(() => PtTorch.LoadStateDict(path));
        Assert.Contains("'f8'", e.Message);
        Assert.Contains("float8_e4m3fn", e.Message);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void A_mismatch_lists_every_missing_unexpected_and_mismatched_key(string version)
    {
        if (Folder(version) is not { } dir) return;
        using var model = nn.Sequential(("0", nn.Linear(16, 32)), ("1", nn.ReLU()), ("2", nn.Linear(32, 7)), ("3", nn.Linear(7, 2)));
        var before = TensorCompare.Hex(model.state_dict()["0.weight"]);
        var e = Assert.Throws<StateDictMismatchException>(() => model.LoadPt(Path.Combine(dir, "sd_mlp_bf16.pt")));
        Assert.Equal(["3.weight", "3.bias"], e.Missing);
        Assert.Empty(e.Unexpected);
        Assert.Equal(4, e.Mismatched.Count); // all four: bfloat16 in the file, two also with 8 rows
        Assert.Contains("2.weight: file [8, 32] bfloat16, module [7, 32] float32", e.Message);
        Assert.Contains("missing keys (2): 3.weight, 3.bias", e.Message);
        Assert.Equal(before, TensorCompare.Hex(model.state_dict()["0.weight"])); // nothing written before the check

        using var bf16 = nn.Sequential(("0", nn.Linear(16, 32)), ("1", nn.ReLU()), ("2", nn.Linear(32, 8)));
        bf16.to(ScalarType.BFloat16);
        var result = bf16.LoadPt(Path.Combine(dir, "sd_mlp_bf16.pt"));
        Assert.Equal(4, result.Loaded);
    }

    [Fact]
    public void DataParallel_prefixes_strip_and_old_batchnorm_counters_start_at_zero()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-ts-").FullName;
        try
        {
            string path = Path.Combine(dir, "dp.pt");
            using var w = torch.randn(3, 4);
            using var b = torch.randn(3);
            using var mean = torch.randn(3);
            using var var_ = torch.rand(3);
            PtTorch.Save(new Dictionary<string, Tensor>
            {
                ["module.0.weight"] = w, ["module.0.bias"] = b,
                ["module.1.weight"] = torch.ones(3), ["module.1.bias"] = torch.zeros(3),
                ["module.1.running_mean"] = mean, ["module.1.running_var"] = var_,
            }, path);
            using var model = nn.Sequential(("0", nn.Linear(4, 3)), ("1", nn.BatchNorm1d(3)));
            using (torch.no_grad()) model.state_dict()["1.num_batches_tracked"].fill_(5);
            var e = Assert.Throws<StateDictMismatchException>(() => model.LoadPt(path));
            Assert.Contains("0.weight", e.Missing);
            Assert.Contains("module.0.weight", e.Unexpected);
            var r = model.LoadPt(path, options: new PtTorchOptions { StripModulePrefix = true });
            Assert.Equal(6, r.Loaded);
            Assert.Empty(r.Missing);
            Assert.Equal(TensorCompare.Hex(w), TensorCompare.Hex(model.state_dict()["0.weight"]));
            Assert.Equal(TensorCompare.Hex(mean), TensorCompare.Hex(model.state_dict()["1.running_mean"]));
            // No _metadata in the file: like torch's BatchNorm._load_from_state_dict, the counter is reset to 0.
            Assert.Equal(0L, model.state_dict()["1.num_batches_tracked"].item<long>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Saved_state_dicts_load_in_torch_with_torch_keys_dtypes_and_tied_storage()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-ts-").FullName;
        try
        {
            string reference = Path.Combine(Folder("2.6")!, "sd_resnet18.pt");
            using var model = torchvision.models.resnet18(num_classes: 10);
            model.LoadPt(reference);
            string resnet = Path.Combine(dir, "resnet18_from_torchsharp.pt");
            PtTorch.Save(model, resnet);

            using var a = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3);
            using var view = a.t();
            string tied = Path.Combine(dir, "tied.pt");
            PtTorch.Save(new Dictionary<string, Tensor>
            {
                ["a"] = a, ["b"] = a, ["view"] = view, ["h"] = torch.ones(2, dtype: ScalarType.BFloat16),
                ["z"] = torch.ones(2, dtype: ScalarType.ComplexFloat32), ["flag"] = torch.ones(2, dtype: ScalarType.Bool),
            }, tied);

            var problems = Check(dir, [
                new() { ["kind"] = "resnet18", ["written"] = resnet, ["reference"] = reference },
                new() { ["kind"] = "tied", ["written"] = tied },
            ]);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static List<string> Check(string dir, List<Dictionary<string, string>> manifest)
    {
        string m = Path.Combine(dir, "manifest.json"), r = Path.Combine(dir, "result.json");
        File.WriteAllText(m, JsonSerializer.Serialize(manifest));
        Python.Run("check_saved.py", m, r);
        var problems = new List<string>();
        foreach (var x in JsonDocument.Parse(File.ReadAllBytes(r)).RootElement.EnumerateArray())
            foreach (var p in x.GetProperty("problems").EnumerateArray())
                problems.Add($"{Path.GetFileName(x.GetProperty("written").GetString())}: {p.GetString()}");
        return problems;
    }

    private string? Folder(string version)
    {
        var dir = TorchFiles.Folder(version, out string skip);
        if (dir is null) output.WriteLine(skip);
        return dir;
    }
}
