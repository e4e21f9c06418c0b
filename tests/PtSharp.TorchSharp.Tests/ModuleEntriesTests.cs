using PtSharp.TorchSharp.Tests.Models;
using PtSharp.TorchSharp.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// LoadPt's one-walk collection of a module's entries gives exactly TorchSharp's <c>state_dict()</c>: the same keys
/// and the same tensors (so loading writes into the module's own parameters), for TorchVision models, native-backed
/// recurrent and transformer modules, rebuilt pickled models and a module that overrides <c>state_dict</c>.
/// </summary>
public sealed class ModuleEntriesTests
{
    public static IEnumerable<object[]> Models() =>
        new[] { "resnet18", "mobilenet_v3_small", "lstm", "transformer", "vit_tiny", "override", "full_encoder" }
            .Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Models))]
    public void The_entry_walk_equals_state_dict(string name)
    {
        using nn.Module model = name switch
        {
            "resnet18" => torchvision.models.resnet18(),
            "mobilenet_v3_small" => torchvision.models.mobilenet_v3_small(),
            "lstm" => nn.LSTM(4, 8, numLayers: 2),
            "transformer" => nn.Transformer(16, 2, 1, 1, 32, 0.0),
            "vit_tiny" => new VitTiny(),
            "override" => new Overriding(),
            _ => PtTorch.LoadModule(Path.Combine(TorchFiles.Folder("2.6", out _)!, "full_encoder.pt")),
        };
        var expected = model.state_dict();
        var actual = ModuleEntries.Of(model);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, t) in expected) Assert.Equal(t.Handle, actual[key].Handle);
        Assert.NotEmpty(actual);
    }

    /// <summary>A user module whose state_dict hides one parameter and renames another.</summary>
    private sealed class Overriding : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> inner = nn.Linear(3, 2);

        public Overriding() : base("Overriding") => RegisterComponents();

        public override Tensor forward(Tensor x) => inner.call(x);

        public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null,
            string? prefix = null)
        {
            destination ??= [];
            var own = inner.state_dict();
            destination["renamed.weight"] = own["weight"];
            return destination;
        }
    }
}
