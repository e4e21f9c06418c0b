namespace PtSharp.Modules;

/// <summary>
/// A torchvision architecture or block whose forward is fixed by torchvision: its layers are its
/// <see cref="ModuleSpec.Children"/> and <see cref="Kind"/> says how forward combines them.
/// </summary>
public sealed class TorchVisionSpec : ModuleSpec
{
    /// <summary>Which torchvision forward applies.</summary>
    public TorchVisionKind Kind { get; internal set; }
    /// <summary>For inverted-residual blocks: whether forward adds the input (<c>use_res_connect</c>).</summary>
    public bool UseResidual { get; internal set; }
}

/// <summary>torchvision modules whose forward the registry knows.</summary>
public enum TorchVisionKind
{
    /// <summary><c>torchvision.models.resnet.ResNet</c></summary>
    ResNet,
    /// <summary><c>torchvision.models.resnet.BasicBlock</c></summary>
    BasicBlock,
    /// <summary><c>torchvision.models.resnet.Bottleneck</c></summary>
    Bottleneck,
    /// <summary><c>torchvision.models.mobilenetv2.MobileNetV2</c> (features, global average pool, classifier)</summary>
    MobileNetV2,
    /// <summary><c>InvertedResidual</c> of MobileNetV2 (<c>conv</c>) or V3 (<c>block</c>)</summary>
    InvertedResidual,
    /// <summary><c>torchvision.models.mobilenetv3.MobileNetV3</c></summary>
    MobileNetV3,
    /// <summary><c>torchvision.ops.misc.SqueezeExcitation</c></summary>
    SqueezeExcitation,
    /// <summary><c>torchvision.models.squeezenet.SqueezeNet</c></summary>
    SqueezeNet,
    /// <summary><c>torchvision.models.squeezenet.Fire</c></summary>
    Fire,
    /// <summary><c>torchvision.models.vgg.VGG</c> and <c>torchvision.models.alexnet.AlexNet</c> (features, avgpool, flatten, classifier)</summary>
    FeaturesPoolClassifier,
}
