using PtSharp.Loading;
using PtSharp.Modules;
using PtSharp.TorchSharp.Rebuild;
using PtSharp.TorchSharp.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// Complete pickled <c>nn.MultiheadAttention</c>, <c>nn.TransformerEncoderLayer</c> and <c>nn.TransformerEncoder</c>
/// models written by torch 1.13 and 2.6 (Python/make_files.py, transformers()): <see cref="PtTorch.LoadModule"/>
/// rebuilds them from the pickled hyper-parameters and gives torch's <c>torch.load(path)(x)</c> within relative 1e-5
/// (attention: <c>m(x, x, x)[0]</c>; torch's own output comes from its fused eval fast path where it applies).
/// </summary>
public sealed class TransformerModuleTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() =>
        from v in new[] { "1.13", "2.6" }
        from c in new[]
        {
            "mha", "mha_batch_first_nobias", "encoder_layer", "encoder_layer_gelu_norm_first",
            "encoder_layer_module_activation", "encoder", "encoder_nobias",
        }
        select new object[] { v, c };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadModule_rebuilds_the_pickled_transformer_and_gives_torchs_output(string version, string name)
    {
        if (Folder(version) is not { } dir) return;
        string path = Path.Combine(dir, $"full_{name}.pt");
        if (name == "encoder_nobias" && version == "1.13")
        {
            Assert.False(File.Exists(path));
            output.WriteLine("bias=False arrived in torch 2.1: no 1.13 file");
            return;
        }
        using var scope = torch.NewDisposeScope();
        var io = PtTorch.LoadStateDict(Path.Combine(dir, $"io_full_{name}.pt"));
        using var model = PtTorch.LoadModule(path);
        Assert.False(model.training);
        Tensor y;
        using (torch.no_grad()) y = model.call(io["x"]);
        AssertClose(y, io["y"], $"{name} ({version})");
    }

    [Theory]
    [MemberData(nameof(TorchFiles.Versions), MemberType = typeof(TorchFiles))]
    public void Attention_with_kdim_vdim_bias_kv_and_zero_attn_matches_torch_on_separate_key_and_value(string version)
    {
        if (Folder(version) is not { } dir) return;
        using var scope = torch.NewDisposeScope();
        var io = PtTorch.LoadStateDict(Path.Combine(dir, "io_full_mha_kdim_vdim.pt"));
        using var model = PtTorch.LoadModule(Path.Combine(dir, "full_mha_kdim_vdim.pt"));
        var keys = model.state_dict().Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["bias_k", "bias_v", "in_proj_bias", "k_proj_weight", "out_proj.bias", "out_proj.weight",
            "q_proj_weight", "v_proj_weight"], keys);
        var attention = Assert.IsType<AttentionModule>(model);
        Tensor y;
        using (torch.no_grad()) y = attention.Attend(io["x"], io["key"], io["value"]);
        AssertClose(y, io["y"], $"mha_kdim_vdim ({version})");
        var e = Assert.Throws<InvalidOperationException>(() => model.call(io["x"]));
        Assert.Contains("kdim 12", e.Message);
    }

    [Fact]
    public void The_rebuilt_encoder_has_torchs_state_dict_keys_and_hyper_parameters()
    {
        var dir = TorchFiles.Folder("2.6", out _)!;
        using var model = PtTorch.LoadModule(Path.Combine(dir, "full_encoder_layer_gelu_norm_first.pt"));
        using var file = PtFile.Open(Path.Combine(dir, "full_encoder_layer_gelu_norm_first.pt"));
        Assert.Equal(file.StateDict.Select(t => t.Name).Order(StringComparer.Ordinal),
            model.state_dict().Keys.Order(StringComparer.Ordinal));
        var spec = Assert.IsType<TransformerEncoderLayerSpec>(ModuleRegistry.Describe(file));
        Assert.Equal((32L, 4L, 48L, "gelu", true, true, 1e-6),
            (spec.DModel, spec.NHead, spec.DimFeedforward, spec.Activation, spec.NormFirst, spec.BatchFirst,
                spec.LayerNormEps));
    }

    private void AssertClose(Tensor actual, Tensor expected, string what)
    {
        double err = TensorCompare.RelativeError(actual, expected);
        output.WriteLine($"{what}: relative error {err:E2}");
        Assert.True(err <= 1e-5, $"{what}: relative error {err:E3} > 1e-5");
    }

    private string? Folder(string version)
    {
        var dir = TorchFiles.Folder(version, out string skip);
        if (dir is null) output.WriteLine(skip);
        return dir;
    }
}
