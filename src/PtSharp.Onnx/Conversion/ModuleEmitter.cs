using PtSharp.Modules;
using static PtSharp.Onnx.Conversion.GraphBuilder;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// Emits the ONNX graph of a <see cref="ModuleSpec"/> tree (a complete pickled model, or a state dict with a known
/// architecture) from the forward that torch.nn and torchvision define for it, through the same aten mapping as
/// TorchScript archives. Weights come from the state dict by key; a key the forward needs and the file lacks, a
/// shape that does not fit, or a key nothing used is an error.
/// </summary>
internal sealed class ModuleEmitter
{
    private readonly GraphBuilder _g;
    private readonly Interpreter _it;
    private readonly Dictionary<string, PtTensor> _weights = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly string _what;

    public ModuleEmitter(GraphBuilder graph, PtFile file, StateDict weights, string what)
    {
        _g = graph;
        _it = new Interpreter(new Script.ScriptLibrary(), graph, file);
        foreach (var t in weights) _weights[t.Name] = t.Tensor;
        _what = what;
    }

    /// <summary>Keys of the state dict that no layer used (<c>num_batches_tracked</c> is never used).</summary>
    public IEnumerable<string> Unused => _weights.Keys.Where(k => !_used.Contains(k)
        && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal));

    public TensorValue Forward(ModuleSpec spec, string path, TensorValue x)
    {
        string saved = _g.Scope;
        _g.Scope = path;
        try { return Dispatch(spec, path, x); }
        catch (OnnxConversionException e) when (!e.Message.Contains("module '", StringComparison.Ordinal))
        {
            throw new OnnxConversionException($"module '{Display(path)}' ({spec.PythonClass}): {e.Message}");
        }
        finally { _g.Scope = saved; }
    }

    private static string Display(string path) => path.Length == 0 ? "<root>" : path;

    private TensorValue Dispatch(ModuleSpec spec, string path, TensorValue x) => spec switch
    {
        LinearSpec l => Aten("linear", x, W(path, "weight", [l.OutFeatures, l.InFeatures]),
            l.HasBias ? W(path, "bias", [l.OutFeatures]) : null),
        ConvSpec c => Conv(c, path, x),
        BatchNormSpec b => BatchNorm(b, path, x),
        LayerNormSpec n => Aten("layer_norm", x, Longs(n.NormalizedShape),
            n.ElementwiseAffine ? W(path, "weight", n.NormalizedShape) : null,
            n.ElementwiseAffine && n.HasBias ? W(path, "bias", n.NormalizedShape) : null, n.Eps),
        GroupNormSpec n => Aten("group_norm", x, n.NumGroups, n.Affine ? W(path, "weight", [n.NumChannels]) : null,
            n.Affine ? W(path, "bias", [n.NumChannels]) : null, n.Eps),
        EmbeddingSpec e => e.MaxNorm is not null
            ? throw new OnnxConversionException("Embedding with max_norm renormalizes its weight on every call")
            : Aten("embedding", W(path, "weight", [e.NumEmbeddings, e.EmbeddingDim]), x),
        DropoutSpec or IdentitySpec => x,
        FlattenSpec f => Aten("flatten", x, f.StartDim, f.EndDim),
        ActivationSpec a => Activation(a, x),
        PoolSpec p => Pool(p, x),
        AdaptivePoolSpec p => AdaptivePool(p, x),
        SequentialSpec => spec.Children.Aggregate(x, (y, c) => Forward(c.Value, Join(path, c.Key), y)),
        TorchVisionSpec v => Vision(v, path, x),
        _ => throw new OnnxConversionException(
            $"module '{Display(path)}' is a {spec.PythonClass}, whose forward PtSharp cannot convert to ONNX yet",
            op: spec.ClassName),
    };

    private TensorValue Aten(string op, params object?[] args) => (TensorValue)_it.Ops.Call(_it, op, [.. args], [])!;

    private static List<object?> Longs(IEnumerable<long> values) => values.Select(v => (object?)v).ToList();

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private TensorValue W(string path, string name, long[] shape)
    {
        string key = Join(path, name);
        if (!_weights.TryGetValue(key, out var t))
            throw new OnnxConversionException($"{_what} has no tensor '{key}', which module '{Display(path)}' needs");
        if (!t.Shape.SequenceEqual(shape))
            throw new OnnxConversionException($"'{key}' has shape [{string.Join(", ", t.Shape)}]; "
                + $"module '{Display(path)}' needs [{string.Join(", ", shape)}]");
        _used.Add(key);
        return (TensorValue)_it.FromFile(t, key)!;
    }

    private TensorValue Conv(ConvSpec c, string path, TensorValue x)
    {
        if (c.PaddingMode != "zeros")
            throw new OnnxConversionException($"padding_mode '{c.PaddingMode}' is not supported", op: "Conv");
        var shape = new[] { c.OutChannels, c.InChannels / c.Groups }.Concat(c.KernelSize).ToArray();
        object padding = c.PaddingText is { } text ? text : Longs(c.Padding);
        return Aten(c.Rank == 1 ? "conv1d" : "conv2d", x, W(path, "weight", shape),
            c.HasBias ? W(path, "bias", [c.OutChannels]) : null, Longs(c.Stride), padding, Longs(c.Dilation), c.Groups);
    }

    private TensorValue BatchNorm(BatchNormSpec b, string path, TensorValue x)
    {
        if (!b.TrackRunningStats)
            throw new OnnxConversionException("BatchNorm without running statistics normalizes by batch statistics");
        long[] c = [b.NumFeatures];
        return Aten("batch_norm", x, b.Affine ? W(path, "weight", c) : null, b.Affine ? W(path, "bias", c) : null,
            W(path, "running_mean", c), W(path, "running_var", c), false, b.Momentum ?? 0.1, b.Eps, false);
    }

    private TensorValue Activation(ActivationSpec a, TensorValue x) => a.Kind switch
    {
        ActivationKind.ReLU => Aten("relu", x),
        ActivationKind.ReLU6 => Aten("relu6", x),
        ActivationKind.LeakyReLU => Aten("leaky_relu", x, a.Alpha),
        ActivationKind.ELU => _g.Op("Elu", [x], x.Shape, x.DType, Float("alpha", a.Alpha)),
        ActivationKind.SELU => _g.Op("Selu", [x], x.Shape, x.DType),
        ActivationKind.GELU => Aten("gelu", x, a.Approximate),
        ActivationKind.SiLU => Aten("silu", x),
        ActivationKind.Mish => Aten("mul", x, Aten("tanh", _g.Op("Softplus", [x], x.Shape, x.DType))),
        ActivationKind.Sigmoid => Aten("sigmoid", x),
        ActivationKind.Tanh => Aten("tanh", x),
        ActivationKind.Hardswish => Aten("hardswish", x),
        ActivationKind.Hardsigmoid => Aten("hardsigmoid", x),
        ActivationKind.Hardtanh => Aten("hardtanh", x, a.MinValue, a.MaxValue),
        ActivationKind.Softplus when a.Alpha == 1 => _g.Op("Softplus", [x], x.Shape, x.DType),
        ActivationKind.Softmax => Aten("softmax", x, a.Dim ?? LegacySoftmaxDim(x.Rank)),
        ActivationKind.LogSoftmax => Aten("log_softmax", x, a.Dim ?? LegacySoftmaxDim(x.Rank)),
        _ => throw new OnnxConversionException($"activation {a.Kind} with these settings is not supported",
            op: a.Kind.ToString()),
    };

    // nn.Softmax(dim=None): torch's _get_softmax_dim.
    private static long LegacySoftmaxDim(int rank) => rank is 0 or 1 or 3 ? 0 : 1;

    private TensorValue Pool(PoolSpec p, TensorValue x)
    {
        if (p.Rank != 2)
            throw new OnnxConversionException($"{(p.IsMax ? "MaxPool" : "AvgPool")}{p.Rank}d is not supported");
        return p.IsMax
            ? Aten("max_pool2d", x, Longs(p.KernelSize), Longs(p.Stride), Longs(p.Padding), Longs(p.Dilation),
                p.CeilMode)
            : Aten("avg_pool2d", x, Longs(p.KernelSize), Longs(p.Stride), Longs(p.Padding), p.CeilMode,
                p.CountIncludePad, p.DivisorOverride);
    }

    private TensorValue AdaptivePool(AdaptivePoolSpec p, TensorValue x)
    {
        if (p.IsMax || p.Rank != 2)
            throw new OnnxConversionException($"Adaptive{(p.IsMax ? "Max" : "Avg")}Pool{p.Rank}d is not supported");
        var size = p.OutputSize.Select((s, i) => (object?)(s ?? x.Shape[x.Rank - 2 + i])).ToList();
        return Aten("adaptive_avg_pool2d", x, size);
    }

    private TensorValue Vision(TorchVisionSpec v, string path, TensorValue x)
    {
        TensorValue Run(TensorValue y, params string[] names)
        {
            foreach (var n in names) y = Forward(Child(v, n), Join(path, n), y);
            return y;
        }
        TensorValue Shortcut() => v.Child("downsample") is { } d ? Forward(d, Join(path, "downsample"), x) : x;
        switch (v.Kind)
        {
            case TorchVisionKind.ResNet:
                return Run(Aten("flatten", Run(x, "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
                    "layer4", "avgpool"), 1L, -1L), "fc");
            case TorchVisionKind.BasicBlock:
                return Run(Aten("add", Run(x, "conv1", "bn1", "relu", "conv2", "bn2"), Shortcut()), "relu");
            case TorchVisionKind.Bottleneck:
                return Run(Aten("add", Run(x, "conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3"),
                    Shortcut()), "relu");
            case TorchVisionKind.MobileNetV2:
                return Run(Aten("flatten", Aten("adaptive_avg_pool2d", Run(x, "features"), Longs([1, 1])), 1L, -1L),
                    "classifier");
            case TorchVisionKind.InvertedResidual:
                var body = Run(x, v.Child("conv") is null ? "block" : "conv");
                return v.UseResidual ? Aten("add", x, body) : body;
            case TorchVisionKind.MobileNetV3 or TorchVisionKind.FeaturesPoolClassifier:
                return Run(Aten("flatten", Run(x, "features", "avgpool"), 1L, -1L), "classifier");
            case TorchVisionKind.SqueezeExcitation:
                return Aten("mul", Run(x, "avgpool", "fc1", "activation", "fc2", "scale_activation"), x);
            case TorchVisionKind.SqueezeNet:
                return Aten("flatten", Run(x, "features", "classifier"), 1L, -1L);
            case TorchVisionKind.Fire:
                var s = Run(x, "squeeze", "squeeze_activation");
                return Aten("cat", new List<object?> { Run(s, "expand1x1", "expand1x1_activation"),
                    Run(s, "expand3x3", "expand3x3_activation") }, 1L);
            default:
                throw new OnnxConversionException($"no forward for torchvision {v.Kind}", op: v.ClassName);
        }
    }

    private ModuleSpec Child(ModuleSpec spec, string name) => spec.Child(name)
        ?? throw new OnnxConversionException($"{spec.PythonClass} has no child module '{name}'");
}
