using PtSharp.Errors;
using PtSharp.Pickle;

namespace PtSharp.Modules;

public static partial class ModuleRegistry
{
    private const string Nn = "torch.nn.modules.";
    private const string Tv = "torchvision.models.";

    private static readonly Dictionary<string, Reader> Readers = Build();

    private static Dictionary<string, Reader> Build()
    {
        var r = new Dictionary<string, Reader>(StringComparer.Ordinal)
        {
            [Nn + "linear.Linear"] = Linear,
            [Nn + "linear.NonDynamicallyQuantizableLinear"] = Linear,
            [Nn + "linear.Identity"] = (_, _, _) => new IdentitySpec(),
            [Nn + "conv.Conv1d"] = (a, o, _) => Conv(a, o, 1),
            [Nn + "conv.Conv2d"] = (a, o, _) => Conv(a, o, 2),
            [Nn + "batchnorm.BatchNorm1d"] = (a, o, _) => BatchNorm(a, o, 1),
            [Nn + "batchnorm.BatchNorm2d"] = (a, o, _) => BatchNorm(a, o, 2),
            [Nn + "normalization.LayerNorm"] = LayerNorm,
            [Nn + "normalization.GroupNorm"] = (a, _, _) => new GroupNormSpec
            {
                NumGroups = a.Long("num_groups"), NumChannels = a.Long("num_channels"), Eps = a.Double("eps"),
                Affine = a.Bool("affine"),
            },
            [Nn + "sparse.Embedding"] = (a, _, _) => new EmbeddingSpec
            {
                NumEmbeddings = a.Long("num_embeddings"), EmbeddingDim = a.Long("embedding_dim"),
                PaddingIdx = a.OptionalLong("padding_idx"), MaxNorm = a.OptionalDouble("max_norm"),
                NormType = a.Has("norm_type") ? a.Double("norm_type") : 2, ScaleGradByFreq = a.Bool("scale_grad_by_freq"),
                Sparse = a.Bool("sparse"),
            },
            [Nn + "flatten.Flatten"] = (a, _, _) => new FlattenSpec { StartDim = a.Long("start_dim"), EndDim = a.Long("end_dim") },
            [Nn + "container.Sequential"] = (_, _, _) => new SequentialSpec(),
            [Nn + "container.ModuleList"] = (_, _, _) => new ModuleListSpec(),
            [Nn + "container.ModuleDict"] = (_, _, _) => new ModuleDictSpec(),
            [Nn + "rnn.LSTM"] = Recurrent,
            [Nn + "rnn.GRU"] = Recurrent,
            [Nn + "activation.MultiheadAttention"] = Attention,
            [Nn + "transformer.TransformerEncoderLayer"] = EncoderLayer,
            [Nn + "transformer.TransformerEncoder"] = (a, _, _) => new TransformerEncoderSpec { NumLayers = a.Long("num_layers") },
        };
        foreach (var d in new[] { "Dropout", "Dropout1d", "Dropout2d", "AlphaDropout" })
            r[Nn + "dropout." + d] = (a, _, _) => new DropoutSpec { P = a.Double("p"), InPlace = a.Bool("inplace") };
        foreach (var kind in Enum.GetValues<ActivationKind>())
            r[Nn + "activation." + kind] = (a, _, _) => Activation(a, kind);
        foreach (int rank in new[] { 1, 2 })
        {
            r[Nn + $"pooling.MaxPool{rank}d"] = (a, _, _) => Pool(a, rank, max: true);
            r[Nn + $"pooling.AvgPool{rank}d"] = (a, _, _) => Pool(a, rank, max: false);
            r[Nn + $"pooling.AdaptiveAvgPool{rank}d"] = (a, _, _) => new AdaptivePoolSpec
            { IsMax = false, Rank = rank, OutputSize = a.OptionalLongs("output_size", rank) };
            r[Nn + $"pooling.AdaptiveMaxPool{rank}d"] = (a, _, _) => new AdaptivePoolSpec
            { IsMax = true, Rank = rank, OutputSize = a.OptionalLongs("output_size", rank) };
        }
        AddTorchVision(r);
        return r;
    }

    private static void AddTorchVision(Dictionary<string, Reader> r)
    {
        Reader Vision(TorchVisionKind kind) => (a, _, _) => new TorchVisionSpec
        { Kind = kind, UseResidual = a.Has("use_res_connect") && a.Bool("use_res_connect") };
        r[Tv + "resnet.ResNet"] = Vision(TorchVisionKind.ResNet);
        r[Tv + "resnet.BasicBlock"] = Vision(TorchVisionKind.BasicBlock);
        r[Tv + "resnet.Bottleneck"] = Vision(TorchVisionKind.Bottleneck);
        r[Tv + "mobilenetv2.MobileNetV2"] = Vision(TorchVisionKind.MobileNetV2);
        r[Tv + "mobilenetv2.InvertedResidual"] = Vision(TorchVisionKind.InvertedResidual);
        r[Tv + "mobilenetv3.MobileNetV3"] = Vision(TorchVisionKind.MobileNetV3);
        r[Tv + "mobilenetv3.InvertedResidual"] = Vision(TorchVisionKind.InvertedResidual);
        r[Tv + "mobilenetv3.SqueezeExcitation"] = Vision(TorchVisionKind.SqueezeExcitation);
        r["torchvision.ops.misc.SqueezeExcitation"] = Vision(TorchVisionKind.SqueezeExcitation);
        r[Tv + "squeezenet.SqueezeNet"] = Vision(TorchVisionKind.SqueezeNet);
        r[Tv + "squeezenet.Fire"] = Vision(TorchVisionKind.Fire);
        r[Tv + "vgg.VGG"] = Vision(TorchVisionKind.FeaturesPoolClassifier);
        r[Tv + "alexnet.AlexNet"] = Vision(TorchVisionKind.FeaturesPoolClassifier);
        // nn.Sequential subclasses: their forward is Sequential's.
        foreach (var seq in new[] { "torchvision.ops.misc.Conv2dNormActivation", "torchvision.ops.misc.ConvNormActivation",
                     Tv + "mobilenetv2.ConvBNActivation", Tv + "mobilenetv2.ConvBNReLU", Tv + "mobilenetv3.ConvBNActivation" })
            r[seq] = (_, _, _) => new SequentialSpec();
    }

    private static ModuleSpec Linear(ModuleAttributes a, PyObject o, string path) => new LinearSpec
    {
        InFeatures = a.Long("in_features"), OutFeatures = a.Long("out_features"), HasBias = HasParameter(a, "bias"),
    };

    private static ConvSpec Conv(ModuleAttributes a, PyObject o, int rank)
    {
        var spec = new ConvSpec
        {
            Rank = rank, InChannels = a.Long("in_channels"), OutChannels = a.Long("out_channels"),
            KernelSize = a.Longs("kernel_size", rank), Stride = a.Longs("stride", rank), Dilation = a.Longs("dilation", rank),
            Groups = a.Long("groups"), PaddingMode = a.String("padding_mode") ?? "zeros", HasBias = HasParameter(a, "bias"),
        };
        if (a.Raw("padding") is string text) spec.PaddingText = text;
        else spec.Padding = a.Longs("padding", rank);
        if (a.Raw("transposed") is true)
            throw new PtFormatException(PtErrorKind.Unsupported, $"{o.Module}.{o.Name} is transposed; transposed convolutions are not supported");
        return spec;
    }

    private static BatchNormSpec BatchNorm(ModuleAttributes a, PyObject o, int rank) => new()
    {
        Rank = rank, NumFeatures = a.Long("num_features"), Eps = a.Double("eps"), Momentum = a.OptionalDouble("momentum"),
        Affine = a.Bool("affine"), TrackRunningStats = a.Bool("track_running_stats"),
    };

    private static ModuleSpec LayerNorm(ModuleAttributes a, PyObject o, string path) => new LayerNormSpec
    {
        NormalizedShape = a.Raw("normalized_shape") is PyTuple t ? a.Longs("normalized_shape", t.Count) : a.Longs("normalized_shape", 1),
        Eps = a.Double("eps"), ElementwiseAffine = a.Bool("elementwise_affine"), HasBias = HasParameter(a, "bias"),
    };

    private static ActivationSpec Activation(ModuleAttributes a, ActivationKind kind)
    {
        var spec = new ActivationSpec { Kind = kind, InPlace = a.Bool("inplace") };
        switch (kind)
        {
            case ActivationKind.LeakyReLU: spec.Alpha = a.Double("negative_slope"); break;
            case ActivationKind.ELU: spec.Alpha = a.Double("alpha"); break;
            case ActivationKind.Softplus: spec.Alpha = a.Double("beta"); spec.MaxValue = a.Double("threshold"); break;
            case ActivationKind.Hardtanh or ActivationKind.ReLU6:
                spec.MinValue = a.Has("min_val") ? a.Double("min_val") : 0;
                spec.MaxValue = a.Has("max_val") ? a.Double("max_val") : 6;
                break;
            case ActivationKind.GELU: spec.Approximate = a.String("approximate") ?? "none"; break;
            case ActivationKind.Softmax or ActivationKind.LogSoftmax: spec.Dim = a.OptionalLong("dim"); break;
        }
        return spec;
    }

    private static PoolSpec Pool(ModuleAttributes a, int rank, bool max)
    {
        var kernel = a.Longs("kernel_size", rank);
        return new PoolSpec
        {
            IsMax = max, Rank = rank, KernelSize = kernel, Stride = a.Raw("stride") is null ? kernel : a.Longs("stride", rank),
            Padding = a.Longs("padding", rank), Dilation = max ? a.Longs("dilation", rank) : Enumerable.Repeat(1L, rank).ToArray(),
            CeilMode = a.Bool("ceil_mode"), CountIncludePad = max || a.Bool("count_include_pad", true),
            DivisorOverride = max ? null : a.OptionalLong("divisor_override"),
        };
    }

    private static ModuleSpec Recurrent(ModuleAttributes a, PyObject o, string path) => new RecurrentSpec
    {
        Mode = a.String("mode") ?? o.Name, InputSize = a.Long("input_size"), HiddenSize = a.Long("hidden_size"),
        NumLayers = a.Long("num_layers"), HasBias = a.Bool("bias"), BatchFirst = a.Bool("batch_first"),
        Dropout = a.Double("dropout"), Bidirectional = a.Bool("bidirectional"), ProjSize = a.OptionalLong("proj_size") ?? 0,
    };

    private static ModuleSpec Attention(ModuleAttributes a, PyObject o, string path) => new MultiheadAttentionSpec
    {
        EmbedDim = a.Long("embed_dim"), NumHeads = a.Long("num_heads"), Dropout = a.Double("dropout"),
        HasBias = HasParameter(a, "in_proj_bias"), AddBiasKv = HasParameter(a, "bias_k"), AddZeroAttn = a.Bool("add_zero_attn"),
        KDim = a.Long("kdim"), VDim = a.Long("vdim"), BatchFirst = a.Bool("batch_first"),
    };

    private static ModuleSpec EncoderLayer(ModuleAttributes a, PyObject o, string path)
    {
        // The sub-layers are described as children; the layer's own numbers are read from them after the walk
        // (see FinishEncoderLayer), only the activation and norm_first live on the layer itself.
        string activation = a.Raw("activation") switch
        {
            PyGlobal g when g.Name is "relu" or "gelu" => g.Name,
            null when a.Raw("_modules") is PyDict m && m.TryGetValue("activation", out var act) && act is PyObject ao
                => ao.Name.ToLowerInvariant(),
            PyObject ao => ao.Name.ToLowerInvariant(),
            var v => throw new PtFormatException(PtErrorKind.Unsupported,
                $"{o.Module}.{o.Name} at '{path}' has activation {v}; only relu and gelu are supported"),
        };
        if (activation is not ("relu" or "gelu"))
            throw new PtFormatException(PtErrorKind.Unsupported, $"{o.Module}.{o.Name} at '{path}' has activation {activation}; only relu and gelu are supported");
        return new TransformerEncoderLayerSpec { Activation = activation, NormFirst = a.Bool("norm_first") };
    }

    private static bool HasParameter(ModuleAttributes a, string name) =>
        a.Raw("_parameters") is PyDict p && p.TryGetValue(name, out var v) && v is not null;
}
