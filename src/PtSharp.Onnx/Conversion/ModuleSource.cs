using PtSharp.Modules;
using PtSharp.Onnx.Proto;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// Graphs of models that carry no code: a complete pickled model (<c>torch.save(model)</c>) of standard layers and
/// torchvision architectures, described by <see cref="ModuleRegistry"/>, or a state dict with <c>--arch</c>.
/// </summary>
internal static class ModuleSource
{
    /// <summary>A torchvision architecture's input when no --input-shape is given (torchvision's 224×224).</summary>
    public static readonly OnnxInputSpec DefaultImageInput = new([1, 3, 224, 224]);

    public static ModelProto Build(PtFile file, OnnxConvertOptions options)
    {
        var (spec, weights, what) = Describe(file, options);
        var inputs = options.Inputs.Count == 0 && spec is TorchVisionSpec ? [DefaultImageInput] : options.Inputs;
        if (inputs.Count != 1)
            throw new OnnxConversionException($"{spec.PythonClass}.forward takes one input; pass one --input-shape "
                + $"(e.g. 1,3,224,224), {inputs.Count} given");
        var run = Run(file, spec, weights, what, options, inputs[0]);
        if (options.DynamicBatch)
        {
            var bigger = OnnxConverter.Bigger(inputs)[0];
            DynamicBatch.Generalize(run, Run(file, spec, weights, what, options, bigger));
        }
        return run.ToModel(options.Opset);
    }

    private static (ModuleSpec Spec, StateDict Weights, string What) Describe(PtFile file, OnnxConvertOptions options)
    {
        if (options.Architecture is { } arch)
        {
            if (file.Format == PtFormat.TorchScript || file.Kind == PtKind.Module)
                throw new OnnxConversionException($"--arch is for state dicts; this file is a {file.Kind.Name()}, "
                    + "which carries its own model (leave --arch out)");
            if (!ModuleRegistry.Architectures.Contains(arch))
                throw new OnnxConversionException($"unknown architecture '{arch}'; known: "
                    + string.Join(", ", ModuleRegistry.Architectures));
            var sd = file.StateDict;
            long classes = sd.TryGetValue(ClassifierKey(arch), out var head) && head.Shape.Count > 0
                ? head.Shape[0] : 1000;
            return (ModuleRegistry.Architecture(arch, classes), sd, $"the state dict (--arch {arch})");
        }
        if (file.Kind != PtKind.Module)
            throw new OnnxConversionException($"this file is a {file.Kind.Name()}: ONNX needs a graph, which "
                + "TorchScript archives and complete pickled models (torch.save(model)) carry; "
                + "for a state dict name its architecture with --arch ("
                + string.Join(", ", ModuleRegistry.Architectures) + ")");
        ModuleSpec spec;
        try { spec = ModuleRegistry.Describe(file); }
        catch (UnsupportedModuleException e)
        {
            // The exception's message starts with the class (Op); the text says where and why.
            string at = e.ModulePath.Length == 0 ? "the root module" : $"module '{e.ModulePath}'";
            bool library = e.PythonClass.StartsWith("torch.", StringComparison.Ordinal)
                || e.PythonClass.StartsWith("torchvision.", StringComparison.Ordinal);
            throw new OnnxConversionException(at + (library
                ? " is a layer PtSharp cannot convert to ONNX yet (not in the module registry); export the model "
                    + "with torch.jit.trace/torch.jit.script"
                : " is user code: its forward is Python code the file does not hold; export it with torch.jit.trace/"
                    + "torch.jit.script, or save its state_dict and pass --arch when it is a torchvision architecture"),
                op: e.PythonClass);
        }
        var weights = spec.Source == file.Root ? file.StateDict : file.StateDictOf(spec.Source);
        return (spec, weights, "the model");
    }

    private static string ClassifierKey(string arch) => arch switch
    {
        _ when arch.StartsWith("resnet", StringComparison.Ordinal) => "fc.weight",
        _ when arch.StartsWith("vgg", StringComparison.Ordinal) || arch == "alexnet" => "classifier.6.weight",
        _ => "classifier.1.weight",
    };

    private static GraphRun Run(PtFile file, ModuleSpec spec, StateDict weights, string what,
        OnnxConvertOptions options, OnnxInputSpec input)
    {
        var graph = new GraphBuilder(options.Opset, options.Fp16);
        var emitter = new ModuleEmitter(graph, file, weights, what);
        var x = new TensorValue(input.Shape.ToArray(), input.DType, graph.Reserve("input"));
        var y = emitter.Forward(spec, "", x);
        var unused = emitter.Unused.ToList();
        if (unused.Count > 0)
            throw new OnnxConversionException($"{what} has {unused.Count} tensor(s) the {spec.ClassName} forward does "
                + $"not use (first: '{unused[0]}'); is it another architecture or a checkpoint with prefixed keys?");
        return new GraphRun(graph, [x], [y]);
    }
}
