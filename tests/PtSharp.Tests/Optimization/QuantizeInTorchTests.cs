using Xunit.Abstractions;

namespace PtSharp.Tests.Optimization;

/// <summary>
/// <c>pt quantize</c> against real torch (tests/interop/verify_quantize.py): the output of a state dict, a plain
/// dict and a whole pickled model loads into <c>quantize_dynamic(Model())</c>; its keys, <c>_metadata</c>, int8
/// weights, scales, zero points and biases equal torch's own <c>quantize_dynamic</c>, per tensor and per channel,
/// and so do the model's outputs; <c>--include</c>/<c>--exclude</c> match a name-keyed qconfig spec; a round trip
/// through <c>pt convert</c> keeps it; weight-only safetensors hold the documented values.
/// </summary>
public sealed class QuantizeInTorchTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Quantized_files_load_into_quantize_dynamic_and_equal_torchs_quantization(string version)
    {
        if (!TorchOracleChecks.TryRun(version, "verify_quantize.py", output, out var checks)) return;
        var required = new List<string>
        {
            "state_dict", "plain_dict", "full_model", "state_dict per-channel", "plain_dict per-channel", "full_model per-channel",
            "state_dict: same _metadata as torch's", "full_model: same _metadata as torch's",
            "state_dict: same keys and order as torch's state_dict()", "state_dict: pt convert round trip",
            "state_dict per-channel: pt convert round trip", "--include/--exclude", "weight-only int8",
        };
        if (version != "1.13") required.Add("weight-only fp8_e4m3fn"); // torch 1.13 has no float8
        TorchOracleChecks.AssertAll(checks, [.. required]);
    }
}
