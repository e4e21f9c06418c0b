using PtSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Rebuild;

/// <summary>
/// Builds TorchSharp modules from <see cref="ModuleSpec"/> descriptions (weights are loaded afterwards).
/// </summary>
internal static class ModuleBuilder
{
    public static nn.Module Build(ModuleSpec spec, string path)
    {
        var module = spec switch
        {
            LinearSpec l => nn.Linear(l.InFeatures, l.OutFeatures, l.HasBias),
            ConvSpec c => Conv(c),
            BatchNormSpec b => b.Rank == 1
                ? nn.BatchNorm1d(b.NumFeatures, b.Eps, b.Momentum ?? 0.1, b.Affine, b.TrackRunningStats)
                : nn.BatchNorm2d(b.NumFeatures, b.Eps, b.Momentum ?? 0.1, b.Affine, b.TrackRunningStats),
            LayerNormSpec n => nn.LayerNorm(n.NormalizedShape, n.Eps, n.ElementwiseAffine, n.HasBias),
            GroupNormSpec g => nn.GroupNorm(g.NumGroups, g.NumChannels, g.Eps, g.Affine),
            EmbeddingSpec e => nn.Embedding(e.NumEmbeddings, e.EmbeddingDim, e.PaddingIdx, e.MaxNorm, e.NormType,
                e.ScaleGradByFreq, e.Sparse),
            DropoutSpec d => nn.Dropout(d.P),
            IdentitySpec => nn.Identity(),
            FlattenSpec f => nn.Flatten(f.StartDim, f.EndDim),
            ActivationSpec a => Activation(a),
            PoolSpec p => Pool(p),
            AdaptivePoolSpec p => new Lambda(spec.ClassName, x => AdaptivePool(p, x)),
            RecurrentSpec r => Recurrent(r),
            MultiheadAttentionSpec m => new AttentionModule(m, (nn.Module<Tensor, Tensor>)Build(
                m.Child<LinearSpec>("out_proj"), Join(path, "out_proj"))),
            SequentialSpec or ModuleListSpec or ModuleDictSpec or TorchVisionSpec
                or TransformerEncoderLayerSpec or TransformerEncoderSpec =>
                new RebuiltModule(spec, spec.Children.Select(c =>
                    new KeyValuePair<string, nn.Module>(c.Key, Build(c.Value, Join(path, c.Key))))),
            _ => throw new PtFormatException(PtErrorKind.Unsupported,
                $"module {(path.Length == 0 ? "" : $"'{path}' ")}is a {spec.PythonClass}, " +
                "which LoadModule cannot rebuild yet; " +
                "build it in TorchSharp and load the weights with module.LoadPt(path)"),
        };
        module.train(spec.Training);
        return module;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static nn.Module Conv(ConvSpec c)
    {
        var mode = Enum.Parse<PaddingModes>(c.PaddingMode, ignoreCase: true);
        if (c.Rank == 1)
            return c.PaddingText is { } t1
                ? nn.Conv1d(c.InChannels, c.OutChannels, c.KernelSize[0], Enum.Parse<Padding>(t1, true), c.Stride[0],
                    c.Dilation[0], mode, c.Groups, c.HasBias)
                : nn.Conv1d(c.InChannels, c.OutChannels, c.KernelSize[0], c.Stride[0], c.Padding[0], c.Dilation[0],
                    mode, c.Groups, c.HasBias);
        var k = (c.KernelSize[0], c.KernelSize[1]);
        return c.PaddingText is { } t2
            ? nn.Conv2d(c.InChannels, c.OutChannels, k, Enum.Parse<Padding>(t2, true), (c.Stride[0], c.Stride[1]),
                (c.Dilation[0], c.Dilation[1]), mode, c.Groups, c.HasBias)
            : nn.Conv2d(c.InChannels, c.OutChannels, k, (c.Stride[0], c.Stride[1]), (c.Padding[0], c.Padding[1]),
                (c.Dilation[0], c.Dilation[1]), mode, c.Groups, c.HasBias);
    }

    private static nn.Module Activation(ActivationSpec a) => a.Kind switch
    {
        ActivationKind.ReLU => nn.ReLU(),
        ActivationKind.ReLU6 => nn.ReLU6(),
        ActivationKind.LeakyReLU => nn.LeakyReLU(a.Alpha),
        ActivationKind.ELU => nn.ELU(a.Alpha),
        ActivationKind.SELU => nn.SELU(),
        ActivationKind.GELU => nn.GELU(Enum.Parse<global::TorchSharp.Modules.GELU.Approximate>(a.Approximate)),
        ActivationKind.SiLU => nn.SiLU(),
        ActivationKind.Mish => nn.Mish(),
        ActivationKind.Sigmoid => nn.Sigmoid(),
        ActivationKind.Tanh => nn.Tanh(),
        ActivationKind.Hardswish => nn.Hardswish(),
        ActivationKind.Hardsigmoid => nn.Hardsigmoid(),
        ActivationKind.Hardtanh => nn.Hardtanh(a.MinValue, a.MaxValue),
        ActivationKind.Softplus => nn.Softplus(a.Alpha, a.MaxValue),
        ActivationKind.Softmax => nn.Softmax(a.Dim ?? -1),
        ActivationKind.LogSoftmax => nn.LogSoftmax(a.Dim ?? -1),
        _ => throw new PtFormatException(PtErrorKind.Unsupported, $"activation {a.Kind} is not supported"),
    };

    private static nn.Module Pool(PoolSpec p)
    {
        if (p.Rank == 2)
            return p.IsMax
                ? nn.MaxPool2d(p.KernelSize, p.Stride, p.Padding, p.Dilation, p.CeilMode)
                : nn.AvgPool2d(p.KernelSize, p.Stride, p.Padding, p.CeilMode, p.CountIncludePad, p.DivisorOverride);
        return p.IsMax
            ? nn.MaxPool1d(p.KernelSize[0], p.Stride[0], p.Padding[0], p.Dilation[0], p.CeilMode)
            : nn.AvgPool1d(p.KernelSize[0], p.Stride[0], p.Padding[0], p.CeilMode, p.CountIncludePad);
    }

    private static Tensor AdaptivePool(AdaptivePoolSpec p, Tensor x)
    {
        var size = new long[p.Rank];
        for (int i = 0; i < p.Rank; i++) size[i] = p.OutputSize[i] ?? x.shape[x.Dimensions - p.Rank + i];
        if (p.Rank == 1)
            return p.IsMax
                ? nn.functional.adaptive_max_pool1d(x, size[0])
                : nn.functional.adaptive_avg_pool1d(x, size[0]);
        return p.IsMax ? nn.functional.adaptive_max_pool2d(x, size) : nn.functional.adaptive_avg_pool2d(x, size);
    }

    private static nn.Module Recurrent(RecurrentSpec r)
    {
        if (r.ProjSize != 0)
            throw new PtFormatException(PtErrorKind.Unsupported, "LSTM with proj_size is not supported by TorchSharp");
        if (r.Mode == "LSTM")
        {
            var lstm = nn.LSTM(r.InputSize, r.HiddenSize, r.NumLayers, r.HasBias, r.BatchFirst, r.Dropout,
                r.Bidirectional);
            return new RecurrentAdapter(lstm, x => lstm.call(x, null).Item1);
        }
        var gru = nn.GRU(r.InputSize, r.HiddenSize, r.NumLayers, r.HasBias, r.BatchFirst, r.Dropout, r.Bidirectional);
        return new RecurrentAdapter(gru, x => gru.call(x, null).Item1);
    }
}

/// <summary>A parameter-free module running a function.</summary>
internal sealed class Lambda(string name, Func<Tensor, Tensor> f) : nn.Module<Tensor, Tensor>(name)
{
    public override Tensor forward(Tensor x) => f(x);
}
