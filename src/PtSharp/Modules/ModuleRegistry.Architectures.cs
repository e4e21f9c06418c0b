using System.Globalization;
using PtSharp.Errors;
using PtSharp.Pickle;

namespace PtSharp.Modules;

public static partial class ModuleRegistry
{
    /// <summary>The torchvision architectures <see cref="Architecture"/> builds by name, sorted.</summary>
    public static IReadOnlyList<string> Architectures { get; } =
    [
        "alexnet", "mobilenet_v2", "resnet101", "resnet152", "resnet18", "resnet34", "resnet50",
        "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
        "vgg19_bn",
    ];

    /// <summary>
    /// Describes the torchvision architecture <paramref name="name"/> (<c>resnet18</c>, <c>mobilenet_v2</c>...) as
    /// <c>torchvision.models.&lt;name&gt;(num_classes=...)</c> builds it, in <c>eval()</c> mode: the same tree
    /// <see cref="Describe(object?)"/> reads from a pickled model, so that a state dict of that architecture can be
    /// given a forward. <see cref="ModuleSpec.Source"/> is an object naming the class, with no state.
    /// </summary>
    /// <exception cref="PtFormatException">The name is not one of <see cref="Architectures"/>.</exception>
    public static ModuleSpec Architecture(string name, long numClasses = 1000)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses));
        return name switch
        {
            "resnet18" => ArchitectureBuilder.ResNet(basic: true, [2, 2, 2, 2], numClasses),
            "resnet34" => ArchitectureBuilder.ResNet(basic: true, [3, 4, 6, 3], numClasses),
            "resnet50" => ArchitectureBuilder.ResNet(basic: false, [3, 4, 6, 3], numClasses),
            "resnet101" => ArchitectureBuilder.ResNet(basic: false, [3, 4, 23, 3], numClasses),
            "resnet152" => ArchitectureBuilder.ResNet(basic: false, [3, 8, 36, 3], numClasses),
            "squeezenet1_0" => ArchitectureBuilder.SqueezeNet(v11: false, numClasses),
            "squeezenet1_1" => ArchitectureBuilder.SqueezeNet(v11: true, numClasses),
            "mobilenet_v2" => ArchitectureBuilder.MobileNetV2(numClasses),
            "alexnet" => ArchitectureBuilder.AlexNet(numClasses),
            _ when name.StartsWith("vgg", StringComparison.Ordinal) && Architectures.Contains(name)
                => ArchitectureBuilder.Vgg(name, numClasses),
            _ => throw new PtFormatException(PtErrorKind.Unsupported,
                $"unknown architecture '{name}'; known: {string.Join(", ", Architectures)}"),
        };
    }
}

/// <summary>Builds <see cref="ModuleSpec"/> trees for torchvision architectures, as torchvision's code does.</summary>
internal static class ArchitectureBuilder
{
    private const string Nn = "torch.nn.modules.";
    private const string Tv = "torchvision.models.";

    private static T Make<T>(T spec, string cls, string[]? parameters = null, string[]? buffers = null,
        params (string Name, ModuleSpec Child)[] children) where T : ModuleSpec
    {
        spec.PythonClass = cls;
        int dot = cls.LastIndexOf('.');
        spec.Source = new PyObject(new PyGlobal(cls[..dot], cls[(dot + 1)..]), PyTuple.Empty, PyConstruction.NewObj);
        spec.Parameters = parameters ?? [];
        spec.Buffers = buffers ?? [];
        spec.Children = children.Select(c => new KeyValuePair<string, ModuleSpec>(c.Name, c.Child)).ToList();
        return spec;
    }

    private static SequentialSpec Seq(params ModuleSpec[] items) => Seq(Nn + "container.Sequential", items);

    private static SequentialSpec Seq(string cls, IEnumerable<ModuleSpec> items) =>
        Make(new SequentialSpec(), cls,
            children: items.Select((m, i) => (i.ToString(CultureInfo.InvariantCulture), m)).ToArray());

    private static ConvSpec Conv(long cin, long cout, long k, long stride = 1, long padding = 0, long groups = 1,
        bool bias = true) => Make(new ConvSpec
        {
            Rank = 2, InChannels = cin, OutChannels = cout, KernelSize = [k, k], Stride = [stride, stride],
            Padding = [padding, padding], Dilation = [1, 1], Groups = groups, HasBias = bias,
        }, Nn + "conv.Conv2d", bias ? ["weight", "bias"] : ["weight"]);

    private static BatchNormSpec Bn(long c) => Make(new BatchNormSpec
    {
        Rank = 2, NumFeatures = c, Eps = 1e-5, Momentum = 0.1, Affine = true, TrackRunningStats = true,
    }, Nn + "batchnorm.BatchNorm2d", ["weight", "bias"], ["running_mean", "running_var", "num_batches_tracked"]);

    private static ActivationSpec Act(ActivationKind kind) => Make(new ActivationSpec
    {
        Kind = kind, InPlace = true, MinValue = 0, MaxValue = kind == ActivationKind.ReLU6 ? 6 : 0,
    }, Nn + "activation." + kind);

    private static ActivationSpec Relu() => Act(ActivationKind.ReLU);

    private static LinearSpec Linear(long cin, long cout) => Make(new LinearSpec
    {
        InFeatures = cin, OutFeatures = cout, HasBias = true,
    }, Nn + "linear.Linear", ["weight", "bias"]);

    private static DropoutSpec Dropout(double p) => Make(new DropoutSpec { P = p }, Nn + "dropout.Dropout");

    private static PoolSpec MaxPool(long k, long stride, long padding = 0, bool ceil = false) => Make(new PoolSpec
    {
        IsMax = true, Rank = 2, KernelSize = [k, k], Stride = [stride, stride], Padding = [padding, padding],
        Dilation = [1, 1], CeilMode = ceil,
    }, Nn + "pooling.MaxPool2d");

    private static AdaptivePoolSpec AdaptiveAvg(long size) => Make(new AdaptivePoolSpec
    {
        IsMax = false, Rank = 2, OutputSize = [size, size],
    }, Nn + "pooling.AdaptiveAvgPool2d");

    private static TorchVisionSpec Vision(TorchVisionKind kind, string cls, bool residual,
        params (string, ModuleSpec)[] children) =>
        Make(new TorchVisionSpec { Kind = kind, UseResidual = residual }, Tv + cls, children: children);

    public static ModuleSpec ResNet(bool basic, int[] layers, long numClasses)
    {
        long expansion = basic ? 1 : 4;
        long inplanes = 64;
        var children = new List<(string, ModuleSpec)>
        {
            ("conv1", Conv(3, 64, 7, 2, 3, bias: false)), ("bn1", Bn(64)), ("relu", Relu()),
            ("maxpool", MaxPool(3, 2, 1)),
        };
        long[] planes = [64, 128, 256, 512];
        for (int l = 0; l < 4; l++)
        {
            var blocks = new List<ModuleSpec>();
            for (int b = 0; b < layers[l]; b++)
            {
                long stride = b == 0 && l > 0 ? 2 : 1;
                ModuleSpec? downsample = b == 0 && (stride != 1 || inplanes != planes[l] * expansion)
                    ? Seq(Conv(inplanes, planes[l] * expansion, 1, stride, bias: false), Bn(planes[l] * expansion))
                    : null;
                blocks.Add(basic ? BasicBlock(inplanes, planes[l], stride, downsample)
                    : Bottleneck(inplanes, planes[l], stride, downsample));
                inplanes = planes[l] * expansion;
            }
            children.Add(($"layer{l + 1}", Seq(blocks.ToArray())));
        }
        children.Add(("avgpool", AdaptiveAvg(1)));
        children.Add(("fc", Linear(512 * expansion, numClasses)));
        return Vision(TorchVisionKind.ResNet, "resnet.ResNet", false, children.ToArray());
    }

    private static ModuleSpec BasicBlock(long inplanes, long planes, long stride, ModuleSpec? downsample)
    {
        var c = new List<(string, ModuleSpec)>
        {
            ("conv1", Conv(inplanes, planes, 3, stride, 1, bias: false)), ("bn1", Bn(planes)), ("relu", Relu()),
            ("conv2", Conv(planes, planes, 3, 1, 1, bias: false)), ("bn2", Bn(planes)),
        };
        if (downsample is not null) c.Add(("downsample", downsample));
        return Vision(TorchVisionKind.BasicBlock, "resnet.BasicBlock", false, c.ToArray());
    }

    private static ModuleSpec Bottleneck(long inplanes, long planes, long stride, ModuleSpec? downsample)
    {
        var c = new List<(string, ModuleSpec)>
        {
            ("conv1", Conv(inplanes, planes, 1, bias: false)), ("bn1", Bn(planes)),
            ("conv2", Conv(planes, planes, 3, stride, 1, bias: false)), ("bn2", Bn(planes)),
            ("conv3", Conv(planes, planes * 4, 1, bias: false)), ("bn3", Bn(planes * 4)), ("relu", Relu()),
        };
        if (downsample is not null) c.Add(("downsample", downsample));
        return Vision(TorchVisionKind.Bottleneck, "resnet.Bottleneck", false, c.ToArray());
    }

    public static ModuleSpec SqueezeNet(bool v11, long numClasses)
    {
        ModuleSpec Pool() => MaxPool(3, 2, ceil: true);
        ModuleSpec[] features = v11
            ? [Conv(3, 64, 3, 2), Relu(), Pool(), Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), Pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), Pool(), Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256)]
            : [Conv(3, 96, 7, 2), Relu(), Pool(), Fire(96, 16, 64, 64), Fire(128, 16, 64, 64),
                Fire(128, 32, 128, 128), Pool(), Fire(256, 32, 128, 128), Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Pool(), Fire(512, 64, 256, 256)];
        var classifier = Seq(Dropout(0.5), Conv(512, numClasses, 1), Relu(), AdaptiveAvg(1));
        return Vision(TorchVisionKind.SqueezeNet, "squeezenet.SqueezeNet", false,
            ("features", Seq(features)), ("classifier", classifier));
    }

    private static ModuleSpec Fire(long inplanes, long squeeze, long e1, long e3) =>
        Vision(TorchVisionKind.Fire, "squeezenet.Fire", false,
            ("squeeze", Conv(inplanes, squeeze, 1)), ("squeeze_activation", Relu()),
            ("expand1x1", Conv(squeeze, e1, 1)), ("expand1x1_activation", Relu()),
            ("expand3x3", Conv(squeeze, e3, 3, padding: 1)), ("expand3x3_activation", Relu()));

    private static SequentialSpec ConvNormAct(long cin, long cout, long k, long stride = 1, long groups = 1) =>
        Seq("torchvision.ops.misc.Conv2dNormActivation",
            [Conv(cin, cout, k, stride, (k - 1) / 2, groups, bias: false), Bn(cout), Act(ActivationKind.ReLU6)]);

    public static ModuleSpec MobileNetV2(long numClasses)
    {
        long[][] settings =
            [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
        var features = new List<ModuleSpec> { ConvNormAct(3, 32, 3, 2) };
        long input = 32;
        foreach (var s in settings)
            for (int i = 0; i < s[2]; i++)
            {
                long stride = i == 0 ? s[3] : 1, hidden = input * s[0], output = s[1];
                var layers = new List<ModuleSpec>();
                if (s[0] != 1) layers.Add(ConvNormAct(input, hidden, 1));
                layers.Add(ConvNormAct(hidden, hidden, 3, stride, hidden));
                layers.Add(Conv(hidden, output, 1, bias: false));
                layers.Add(Bn(output));
                features.Add(Vision(TorchVisionKind.InvertedResidual, "mobilenetv2.InvertedResidual",
                    stride == 1 && input == output, ("conv", Seq(layers.ToArray()))));
                input = output;
            }
        features.Add(ConvNormAct(input, 1280, 1));
        return Vision(TorchVisionKind.MobileNetV2, "mobilenetv2.MobileNetV2", false,
            ("features", Seq(features.ToArray())), ("classifier", Seq(Dropout(0.2), Linear(1280, numClasses))));
    }

    public static ModuleSpec Vgg(string name, long numClasses)
    {
        bool bn = name.EndsWith("_bn", StringComparison.Ordinal);
        int[] config = name.Split('_')[0] switch
        {
            "vgg11" => [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
            "vgg13" => [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
            "vgg16" => [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
            _ => [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
        };
        var features = new List<ModuleSpec>();
        long channels = 3;
        foreach (int v in config)
        {
            if (v == 0) { features.Add(MaxPool(2, 2)); continue; }
            features.Add(Conv(channels, v, 3, padding: 1));
            if (bn) features.Add(Bn(v));
            features.Add(Relu());
            channels = v;
        }
        return Vision(TorchVisionKind.FeaturesPoolClassifier, "vgg.VGG", false, ("features", Seq(features.ToArray())),
            ("avgpool", AdaptiveAvg(7)), ("classifier", Seq(Linear(512 * 7 * 7, 4096), Relu(), Dropout(0.5),
                Linear(4096, 4096), Relu(), Dropout(0.5), Linear(4096, numClasses))));
    }

    public static ModuleSpec AlexNet(long numClasses) =>
        Vision(TorchVisionKind.FeaturesPoolClassifier, "alexnet.AlexNet", false,
            ("features", Seq(Conv(3, 64, 11, 4, 2), Relu(), MaxPool(3, 2), Conv(64, 192, 5, padding: 2), Relu(),
                MaxPool(3, 2), Conv(192, 384, 3, padding: 1), Relu(), Conv(384, 256, 3, padding: 1), Relu(),
                Conv(256, 256, 3, padding: 1), Relu(), MaxPool(3, 2))),
            ("avgpool", AdaptiveAvg(6)),
            ("classifier", Seq(Dropout(0.5), Linear(256 * 6 * 6, 4096), Relu(), Dropout(0.5), Linear(4096, 4096),
                Relu(), Linear(4096, numClasses))));
}
