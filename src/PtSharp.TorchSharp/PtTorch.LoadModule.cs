using PtSharp.Modules;
using PtSharp.TorchSharp.Rebuild;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

public static partial class PtTorch
{
    /// <summary>
    /// Rebuilds a complete pickled model (<c>torch.save(model)</c>) as TorchSharp modules and loads its weights:
    /// standard <c>torch.nn</c> layers and containers, LSTM/GRU (their output sequence), MultiheadAttention (called
    /// with one tensor: self-attention), TransformerEncoderLayer/TransformerEncoder (no masks), torchvision ResNet,
    /// MobileNetV2/V3, SqueezeNet, VGG and AlexNet. The module tree comes from the file's inert object tree via
    /// <see cref="ModuleRegistry"/>; nothing from the file is executed. The module is in the mode it was saved in
    /// (usually <c>eval()</c>).
    /// </summary>
    /// <exception cref="UnsupportedModuleException">A module's class is user code (e.g. <c>__main__.Net</c>): build
    /// it in TorchSharp and use <c>LoadPt</c>.</exception>
    /// <exception cref="PtFormatException">The file is not a complete model, or holds a layer that cannot be
    /// rebuilt.</exception>
    public static nn.Module<Tensor, Tensor> LoadModule(string path, PtLoadOptions? options = null)
    {
        using var file = PtFile.Open(path, options);
        var spec = ModuleRegistry.Describe(file);
        var module = ModuleBuilder.Build(spec, "");
        if (module is not nn.Module<Tensor, Tensor> callable)
        {
            module.Dispose();
            throw new PtFormatException(PtErrorKind.Unsupported,
                $"the model is a {spec.PythonClass}, whose forward does not take one tensor");
        }
        try
        {
            var weights = spec.Source == file.Root ? file.StateDict : file.StateDictOf(spec.Source);
            StateDictLoader.Load(module, weights, strict: true, new Dictionary<string, long>(), hasMetadata: true);
            return callable;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}
