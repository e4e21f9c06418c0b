using Xunit.Abstractions;

namespace PtSharp.Tests.Optimization;

/// <summary>
/// <c>pt quantize</c> of <c>nn.LSTM</c>/<c>nn.GRU</c> against real torch (tests/interop/verify_quantize_rnn.py, one
/// process per torch): the output of a state dict and of a whole pickled model, per tensor and per channel, for
/// 1- and 2-layer, bidirectional and batch_first LSTMs and GRUs and a model mixing them with Linear layers, loads
/// strictly into <c>quantize_dynamic(Model(), {nn.Linear, nn.LSTM, nn.GRU})</c>; its int8 weights, scales, zero
/// points and biases equal torch's own <c>quantize_dynamic</c>, and so do the outputs; keys, <c>_metadata</c>, the
/// loaded ScriptObject states and what <c>weights_only=True</c>, <c>pt inspect</c> and <c>pt scan</c> make of the
/// file are those of torch's own file; <c>pt convert</c> keeps it; <c>--types</c>/<c>--exclude</c> match torch's
/// specs; a bias-less LSTM (which torch refuses) stays float with a note.
/// </summary>
public sealed class QuantizeRecurrentInTorchTests(ITestOutputHelper output)
{
    private static readonly string[] Models = ["lstm1", "lstm2bi", "gru1", "gru2bi", "mixed"];

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Quantized_lstm_and_gru_files_load_into_quantize_dynamic_and_equal_torchs(string version)
    {
        if (!TorchOracleChecks.TryRun(version, "verify_quantize_rnn.py", output, out var checks)) return;
        var required = new List<string>
        {
            "--types linear", "--types lstm,gru", "--types gru", "--exclude enc.1",
            "bias=False: torch's quantize_dynamic refuses the LSTM", "bias=False: left in float with a note",
            "bias=False: the note says why", "bare nn.LSTM state dict",
        };
        foreach (string model in Models)
            foreach (string scheme in (string[])["", " per-channel"])
            {
                string full = $"{model} full_model{scheme}";
                required.AddRange([full, full + ": keys and _metadata as torch's"]);
                string sd = $"{model} state_dict{scheme}";
                required.AddRange([sd, sd + ": keys and order as torch's state_dict()", sd + ": _metadata as torch's",
                    sd + ": loaded objects as torch's",
                    sd + ": pickle uses torch's globals and constructs as many objects",
                    sd + ": weights_only=True treats it as torch's own file",
                    sd + ": pt inspect lists the same tensors as for torch's file",
                    sd + ": pt scan says what it says of torch's file", sd + ": report has a line per LSTM/GRU weight",
                    sd + ": pt convert round trip"]);
            }
        TorchOracleChecks.AssertAll(checks, [.. required]);
    }
}
