using PtSharp.Modules;
using PtSharp.TorchSharp.Tests.Models;
using PtSharp.TorchSharp.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// Real architectures saved by torch 1.13 and 2.6 run in TorchSharp and give torch's output on the same input:
/// state dicts loaded with <c>LoadPt</c> into the matching TorchSharp model (TorchVision's where it exists), and
/// complete pickled models rebuilt by <see cref="PtTorch.LoadModule"/>. fp32: relative 1e-5 (of the largest |output|);
/// bf16: relative 2e-2 (bf16 has 8 significant bits, and TorchSharp and torch may round matmul partial sums differently).
/// </summary>
public sealed class ModelOutputTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> StateDictCases() =>
        from v in new[] { "1.13", "2.6" }
        from c in new[] { "resnet18", "mobilenet_v3_small", "lstm", "transformer", "vit_tiny", "mlp_bf16" }
        select new object[] { v, c };

    public static IEnumerable<object[]> FullModelCases() =>
        from v in new[] { "1.13", "2.6" }
        from c in new[] { "resnet18", "mobilenet_v2", "squeezenet1_1", "mlp", "mlp_legacy" }
        select new object[] { v, c };

    [Theory]
    [MemberData(nameof(StateDictCases))]
    public void State_dict_in_the_TorchSharp_model_gives_torchs_output(string version, string name)
    {
        if (Folder(version) is not { } dir) return;
        using var scope = torch.NewDisposeScope();
        var io = PtTorch.LoadStateDict(Path.Combine(dir, $"io_{name}.pt"));
        string weights = Path.Combine(dir, $"sd_{name}.pt");
        Tensor y;
        using (torch.no_grad())
        {
            switch (name)
            {
                case "lstm":
                {
                    using var lstm = nn.LSTM(10, 20, numLayers: 2, batchFirst: true);
                    lstm.LoadPt(weights);
                    lstm.eval();
                    y = lstm.call(io["x"]).Item1;
                    break;
                }
                case "transformer":
                {
                    using var t = nn.Transformer(32, 4, 2, 2, 64, 0.0);
                    t.LoadPt(weights);
                    t.eval();
                    y = t.call(io["x"], io["tgt"]);
                    break;
                }
                default:
                {
                    using nn.Module<Tensor, Tensor> m = name switch
                    {
                        "resnet18" => torchvision.models.resnet18(num_classes: 10),
                        "mobilenet_v3_small" => torchvision.models.mobilenet_v3_small(),
                        "vit_tiny" => new VitTiny(),
                        _ => nn.Sequential(("0", nn.Linear(16, 32)), ("1", nn.ReLU()), ("2", nn.Linear(32, 8))),
                    };
                    if (name == "mlp_bf16") m.to(ScalarType.BFloat16);
                    var r = m.LoadPt(weights);
                    Assert.Empty(r.Missing);
                    m.eval();
                    y = m.call(io["x"]);
                    break;
                }
            }
        }
        double tolerance = name == "mlp_bf16" ? 2e-2 : 1e-5;
        double err = TensorCompare.RelativeError(y, io["y"]);
        output.WriteLine($"{name} from torch {version}: relative error {err:E2} (tolerance {tolerance:E0})");
        Assert.True(err <= tolerance, $"{name} ({version}): relative error {err:E3} > {tolerance:E0}");
    }

    [Theory]
    [MemberData(nameof(FullModelCases))]
    public void LoadModule_rebuilds_the_pickled_model_and_gives_torchs_output(string version, string name)
    {
        if (Folder(version) is not { } dir) return;
        using var scope = torch.NewDisposeScope();
        var io = PtTorch.LoadStateDict(Path.Combine(dir, $"io_full_{name}.pt"));
        using var model = PtTorch.LoadModule(Path.Combine(dir, $"full_{name}.pt"));
        Assert.False(model.training);
        Tensor y;
        using (torch.no_grad()) y = model.call(io["x"]);
        double err = TensorCompare.RelativeError(y, io["y"]);
        output.WriteLine($"{name} from torch {version}: relative error {err:E2}");
        Assert.True(err <= 1e-5, $"{name} ({version}): relative error {err:E3}");
    }

    [Fact]
    public void A_user_module_is_refused_in_one_line_pointing_to_LoadPt()
    {
        string path = Path.Combine(RepoPaths.Root, "tests", "fixtures", "torch-2.6", "full_model_user.pt");
        var e = Assert.Throws<UnsupportedModuleException>(() => PtTorch.LoadModule(path));
        Assert.Contains("LoadPt", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        output.WriteLine(e.Message);
    }

    private string? Folder(string version)
    {
        var dir = TorchFiles.Folder(version, out string skip);
        if (dir is null) output.WriteLine(skip);
        return dir;
    }
}
