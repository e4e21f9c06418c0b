using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PtSharp.Onnx.Tests.Support;

/// <summary>Assertions on the oracle's answers and on runs in Microsoft.ML.OnnxRuntime (.NET).</summary>
internal static class OnnxAssert
{
    /// <summary>max |onnx - torch| / max |torch| allowed for fp32.</summary>
    public const double Tolerance = 1e-4;

    public static JsonElement Result(OnnxModels models, string name)
    {
        Assert.True(models.Results.TryGetValue(name, out var r), $"the oracle has no answer for {name}");
        return r;
    }

    /// <summary>The checker passed, onnxruntime ran, and its outputs are within tolerance of torch's.</summary>
    public static void Matches(JsonElement r, double tolerance, bool allclose = true)
    {
        Assert.Equal("ok", r.GetProperty("checker").GetString());
        Assert.False(r.TryGetProperty("run", out var run), run.ToString());
        double rel = r.GetProperty("max_rel").GetDouble();
        Assert.True(rel <= tolerance, $"max relative error {rel}");
        if (allclose)
            Assert.True(r.GetProperty("allclose").GetBoolean(), "np.allclose(rtol=1e-4, atol=1e-5) failed");
    }

    /// <summary>
    /// Runs <paramref name="onnx"/> in Microsoft.ML.OnnxRuntime on the inputs the oracle saved next to it
    /// (<c>.in0.npy</c>...) and compares the first output with torch's (<c>.out0.npy</c>); returns max |Δ| / scale.
    /// </summary>
    public static double RunsInDotnetLikeTorch(string onnx, double tolerance = Tolerance)
    {
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
        Assert.True(worst <= tolerance * scale, $"max |Δ| {worst} vs torch scale {scale}");
        return worst / scale;
    }
}
