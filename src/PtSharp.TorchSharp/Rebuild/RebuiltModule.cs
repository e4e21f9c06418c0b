using PtSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Rebuild;

/// <summary>
/// A module rebuilt from a <see cref="ModuleSpec"/> whose forward combines its children (containers and the
/// torchvision blocks). Children are registered under their Python names, so state-dict keys match torch's.
/// </summary>
internal sealed class RebuiltModule : nn.Module<Tensor, Tensor>
{
    private readonly ModuleSpec _spec;
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _children = new(StringComparer.Ordinal);
    private readonly List<nn.Module<Tensor, Tensor>> _ordered = [];

    public RebuiltModule(ModuleSpec spec, IEnumerable<KeyValuePair<string, nn.Module>> children) : base(spec.ClassName)
    {
        _spec = spec;
        foreach (var (name, child) in children)
        {
            register_module(name, child);
            if (child is nn.Module<Tensor, Tensor> callable)
            {
                _children[name] = callable;
                _ordered.Add(callable);
            }
        }
    }

    public override Tensor forward(Tensor x) => _spec switch
    {
        SequentialSpec => Chain(x, _ordered),
        TorchVisionSpec v => Vision(v.Kind, x),
        TransformerEncoderLayerSpec layer => TransformerForward.EncoderLayer(layer, this, x),
        TransformerEncoderSpec => TransformerForward.Encoder(this, x),
        _ => throw new InvalidOperationException(
            $"{_spec.PythonClass} has no forward of its own (it is a container); call its children"),
    };

    private static Tensor Chain(Tensor x, IEnumerable<nn.Module<Tensor, Tensor>> modules)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var m in modules) x = m.call(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The children that take one tensor, in registration order.</summary>
    internal IReadOnlyList<nn.Module<Tensor, Tensor>> Ordered => _ordered;

    /// <summary>The child <paramref name="name"/>, or <see langword="null"/>.</summary>
    internal nn.Module<Tensor, Tensor>? Find(string name) => _children.GetValueOrDefault(name);

    internal nn.Module<Tensor, Tensor> C(string name) =>
        _children.TryGetValue(name, out var m) ? m
        : throw new InvalidOperationException($"{_spec.PythonClass} has no child '{name}' that takes one tensor");

    private Tensor Run(Tensor x, params string[] names) => Chain(x, names.Select(C));

    private Tensor Vision(TorchVisionKind kind, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor y = kind switch
        {
            TorchVisionKind.ResNet => Run(x, "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                    "avgpool")
                .flatten(1).pipe(C("fc")),
            TorchVisionKind.BasicBlock => C("relu").call(
                Run(x, "conv1", "bn1", "relu", "conv2", "bn2")
                + (_children.ContainsKey("downsample") ? C("downsample").call(x) : x)),
            TorchVisionKind.Bottleneck => C("relu").call(
                Run(x, "conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3")
                + (_children.ContainsKey("downsample") ? C("downsample").call(x) : x)),
            TorchVisionKind.MobileNetV2 => C("classifier").call(
                nn.functional.adaptive_avg_pool2d(C("features").call(x), [1, 1]).flatten(1)),
            TorchVisionKind.InvertedResidual => Residual(x, ((TorchVisionSpec)_spec).UseResidual),
            TorchVisionKind.MobileNetV3 or TorchVisionKind.FeaturesPoolClassifier =>
                C("classifier").call(Run(x, "features", "avgpool").flatten(1)),
            TorchVisionKind.SqueezeExcitation => Run(x, "avgpool", "fc1", "activation", "fc2", "scale_activation") * x,
            TorchVisionKind.SqueezeNet => Run(x, "features", "classifier").flatten(1),
            TorchVisionKind.Fire => Fire(x),
            _ => throw new InvalidOperationException($"no forward for {kind}"),
        };
        return y.MoveToOuterDisposeScope();
    }

    private Tensor Residual(Tensor x, bool add)
    {
        var body = _children.ContainsKey("conv") ? C("conv") : C("block");
        var y = body.call(x);
        return add ? x + y : y;
    }

    private Tensor Fire(Tensor x)
    {
        var s = Run(x, "squeeze", "squeeze_activation");
        return torch.cat([
            Chain(s, [C("expand1x1"), C("expand1x1_activation")]),
            Chain(s, [C("expand3x3"), C("expand3x3_activation")]),
        ], 1);
    }
}

/// <summary>Small helpers for readable forwards.</summary>
internal static class TensorPipe
{
    public static Tensor pipe(this Tensor x, nn.Module<Tensor, Tensor> m) => m.call(x);
}
