using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PtSharp.Onnx.Tests.Support;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>
/// Models written by torch 2.6 and torch 1.13, converted by PtSharp, checked by onnx.checker (full_check) and run in
/// onnxruntime 1.21 (Python) and Microsoft.ML.OnnxRuntime 1.31.1 (.NET) against torch.jit.load(path)(x).
/// </summary>
[Collection(nameof(OnnxModels))]
public sealed class TorchOracleTests(OnnxModels models)
{
    private const double Tolerance = 1e-4; // max |onnx - torch| / max |torch|, fp32

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
        string onnx = models.Onnx(version, model);
        Assert.True(File.Exists(onnx + ".out0.npy"), "the oracle saved no torch output for " + onnx);
        var (want, wantShape) = Npy.ReadFloat32(onnx + ".out0.npy");
        using var session = new InferenceSession(onnx);
        var inputs = session.InputMetadata.Keys.Select((name, i) =>
        {
            var (data, shape) = Npy.ReadFloat32($"{onnx}.in{i}.npy");
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, shape));
        }).ToList();
        using var outputs = session.Run(inputs);
        var got = outputs.First().AsTensor<float>();
        Assert.Equal(wantShape, got.Dimensions.ToArray());
        var values = got.ToArray();
        double scale = want.Max(x => Math.Abs((double)x)), worst = 0;
        for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs(values[i] - want[i]));
        Assert.True(worst <= Tolerance * scale, $"max |Δ| {worst} vs torch scale {scale}");
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

    private JsonElement Result(string name)
    {
        Assert.True(models.Results.TryGetValue(name, out var r), $"the oracle has no answer for {name}");
        return r;
    }

    private static void AssertMatches(JsonElement r, double tolerance, bool allclose = true)
    {
        Assert.Equal("ok", r.GetProperty("checker").GetString());
        Assert.False(r.TryGetProperty("run", out var run), run.ToString());
        double rel = r.GetProperty("max_rel").GetDouble();
        Assert.True(rel <= tolerance, $"max relative error {rel}");
        if (allclose) Assert.True(r.GetProperty("allclose").GetBoolean(), "np.allclose(rtol=1e-4, atol=1e-5) failed");
    }
}
