using PtSharp.Onnx.Tests.Support;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>
/// Graph sources 2 and 3: complete pickled models (<c>torch.save(model)</c>: torchvision resnet18 and squeezenet1_1, an
/// nn.Sequential MLP) and state dicts of resnet18 and squeezenet1_1 (10 classes) converted with --arch, written by
/// torch 2.6 and torch 1.13. Each ONNX file passes onnx.checker (full_check) and runs in onnxruntime 1.21 (Python)
/// and Microsoft.ML.OnnxRuntime (.NET) with torch 2.6's output of the original (torch.load(path, weights_only=False)
/// or the torchvision model rebuilt from the state dict), and with the writing torch's own output.
/// </summary>
[Collection(nameof(OnnxModels))]
public sealed class ModuleSourceOracleTests(OnnxModels models)
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var v in new[] { "2.6", "1.13" })
            foreach (var m in OnnxModels.ModuleModels) data.Add(v, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converted_module_passes_the_checker_and_matches_torch(string version, string model)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        var r = OnnxAssert.Result(models, $"{version}/{model}");
        OnnxAssert.Matches(r, OnnxAssert.Tolerance);
        // The writing torch's own forward (torch 1.13 for its files), saved by the fixture script.
        double writer = r.GetProperty("writer_max_rel").GetDouble();
        Assert.True(writer <= OnnxAssert.Tolerance, $"max relative error vs torch {version}: {writer}");
        Assert.True(r.GetProperty("writer_allclose").GetBoolean(), $"np.allclose vs torch {version} failed");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converted_module_runs_in_dotnet_onnxruntime_with_torchs_outputs(string version, string model)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        OnnxAssert.RunsInDotnetLikeTorch(models.Onnx(version, model));
    }

    [Theory]
    [InlineData("resnet18_state_dict", "fc.weight", 10)]
    [InlineData("squeezenet1_1_state_dict", "classifier.1.weight", 10)]
    [InlineData("resnet18_pickled", "fc.weight", 1000)]
    public void Initializers_keep_state_dict_names_and_the_head_size_comes_from_the_file(string model, string head,
        int classes)
    {
        if (models.OracleMissing()) return;
        var onnx = Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(models.Onnx("2.6", model)));
        var init = Assert.Single(onnx.Graph.Initializer, i => i.Name == head);
        Assert.Equal(classes, init.Dims[0]);
        var dims = onnx.Graph.Output[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
        Assert.Equal([1L, classes], dims);
        Assert.Equal([1L, 3, 64, 64], models.Converted[("2.6", model)].InputShapes[0]);
    }

    [Fact]
    public void Cli_converts_a_state_dict_with_arch_and_torchvisions_default_input_shape()
    {
        if (models.OracleMissing()) return;
        var run = models.ArchRun!;
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("input 1x3x224x224", run.Stderr);
        OnnxAssert.Matches(OnnxAssert.Result(models, "cli/resnet18_state_dict"), OnnxAssert.Tolerance);
    }
}
