using System.Text.Json;
using PtSharp.Onnx.Tests.Support;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>
/// Models written by torch 2.6 and torch 1.13, converted by PtSharp, checked by onnx.checker (full_check) and run in
/// onnxruntime 1.21 (Python) and Microsoft.ML.OnnxRuntime 1.31.1 (.NET) against torch.jit.load(path)(x).
/// </summary>
[Collection(nameof(OnnxModels))]
public sealed class TorchOracleTests(OnnxModels models)
{
    private const double Tolerance = OnnxAssert.Tolerance;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var v in new[] { "2.6", "1.13" })
            foreach (var m in OnnxModels.Models) data.Add(v, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converted_model_passes_the_checker_and_matches_torch(string version, string model)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        var r = Result($"{version}/{model}");
        AssertMatches(r, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converted_model_runs_in_dotnet_onnxruntime_with_torchs_outputs(string version, string model)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        OnnxAssert.RunsInDotnetLikeTorch(models.Onnx(version, model), Tolerance);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("transformer_layer")]
    public void Dynamic_batch_model_runs_at_another_batch_size(string model)
    {
        if (models.OracleMissing()) return;
        AssertMatches(Result("dynamic/" + model), Tolerance);
    }

    [Theory]
    [InlineData("small_cnn")]
    [InlineData("resnet18")]
    public void Fp16_model_passes_the_checker_and_is_close_to_torch_fp32(string model)
    {
        if (models.OracleMissing()) return;
        AssertMatches(Result("fp16/" + model), 2e-2, allclose: false);
    }

    [Fact]
    public void Like_refreshes_torch_onnx_export_weights_from_a_retrained_state_dict()
    {
        if (models.OracleMissing()) return;
        Assert.True(models.LikeRun!.ExitCode == 0, models.LikeRun.Stderr);
        Assert.Contains("refreshed 102 initializers", models.LikeRun.Stderr);
        AssertMatches(Result("like/resnet18"), Tolerance);
    }

    [Fact]
    public void External_data_file_is_written_and_loaded_by_onnx_and_onnxruntime()
    {
        if (models.OracleMissing()) return;
        Assert.True(File.Exists(Path.Combine(models.Dir, "2.6", "mlp.external.onnx.data")));
        AssertMatches(Result("external/mlp"), Tolerance);
    }

    private JsonElement Result(string name) => OnnxAssert.Result(models, name);

    private static void AssertMatches(JsonElement r, double tolerance, bool allclose = true) =>
        OnnxAssert.Matches(r, tolerance, allclose);
}
