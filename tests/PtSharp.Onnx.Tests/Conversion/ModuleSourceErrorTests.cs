using PtSharp.Onnx.Tests.Support;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>
/// Refusals of graph sources 2 and 3 (pickled models, state dicts with --arch), on files written by real torch: a
/// typed error naming the class, the module path or the architectures; no file written.
/// </summary>
[Collection(nameof(OnnxModels))]
public sealed class ModuleSourceErrorTests(OnnxModels models)
{
    private string Out() => Path.Combine(models.Dir, Guid.NewGuid().ToString("N") + ".onnx");

    private static OnnxConvertOptions Shape(params long[] shape) => new() { Inputs = [new OnnxInputSpec(shape)] };

    private OnnxConversionException Refused(string version, string name, OnnxConvertOptions options)
    {
        string output = Out();
        var e = Assert.Throws<OnnxConversionException>(
            () => OnnxConverter.Convert(models.Pt(version, name), output, options));
        Assert.False(File.Exists(output), "a refused conversion wrote " + output);
        return e;
    }

    [Theory]
    [InlineData("2.6")]
    [InlineData("1.13")]
    public void Pickled_user_class_names_the_class(string version)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        var e = Refused(version, "error_user_class", Shape(1, 4));
        Assert.Equal("__main__.Net", e.Op);
        Assert.StartsWith("__main__.Net: the root module is user code: its forward is Python code the file does not "
            + "hold", e.Message);
        Assert.Contains("torch.jit.trace", e.Message);
    }

    [Theory]
    [InlineData("2.6")]
    [InlineData("1.13")]
    public void Layer_the_emitter_cannot_convert_names_the_layer_and_its_path(string version)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        var e = Refused(version, "error_unsupported_layer", Shape(1, 8));
        Assert.Equal("LSTM", e.Op);
        Assert.StartsWith("LSTM: module '1.1' is a torch.nn.modules.rnn.LSTM", e.Message);
        Assert.Contains("cannot convert to ONNX", e.Message);
    }

    [Theory]
    [InlineData("2.6")]
    [InlineData("1.13")]
    public void Torch_layer_outside_the_registry_names_the_layer_and_its_path(string version)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        var e = Refused(version, "error_unknown_layer", Shape(1, 3, 8, 8));
        Assert.Equal("torch.nn.modules.conv.ConvTranspose2d", e.Op);
        Assert.StartsWith("torch.nn.modules.conv.ConvTranspose2d: module '1' is a layer PtSharp cannot convert",
            e.Message);
    }

    [Fact]
    public void State_dict_without_arch_names_both_ways_and_the_architectures()
    {
        if (models.OracleMissing()) return;
        var e = Refused("2.6", "resnet18_state_dict", Shape(1, 3, 64, 64));
        Assert.Contains("TorchScript archives and complete pickled models (torch.save(model))", e.Message);
        Assert.Contains("--arch (", e.Message);
        Assert.Contains("resnet18", e.Message);
    }

    [Fact]
    public void Unknown_arch_lists_the_known_names()
    {
        if (models.OracleMissing()) return;
        var e = Refused("2.6", "resnet18_state_dict",
            new OnnxConvertOptions { Inputs = [new OnnxInputSpec([1, 3, 64, 64])], Architecture = "resnet19" });
        Assert.StartsWith("unknown architecture 'resnet19'; known: ", e.Message);
        foreach (var name in PtSharp.Modules.ModuleRegistry.Architectures) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Arch_that_does_not_fit_the_state_dict_names_the_missing_tensor()
    {
        if (models.OracleMissing()) return;
        var e = Refused("2.6", "resnet18_state_dict",
            new OnnxConvertOptions { Inputs = [new OnnxInputSpec([1, 3, 64, 64])], Architecture = "squeezenet1_1" });
        Assert.Contains("the state dict (--arch squeezenet1_1) has no tensor 'features.0.weight'", e.Message);
    }

    [Fact]
    public void Arch_on_a_pickled_model_is_refused()
    {
        if (models.OracleMissing()) return;
        var e = Refused("2.6", "resnet18_pickled",
            new OnnxConvertOptions { Inputs = [new OnnxInputSpec([1, 3, 64, 64])], Architecture = "resnet18" });
        Assert.Contains("--arch is for state dicts", e.Message);
    }

    [Fact]
    public void Cli_reports_a_user_class_in_one_line_without_dotnet_type_names()
    {
        if (models.OracleMissing()) return;
        string output = Out();
        var r = CliProcess.Run(TimeSpan.FromMinutes(1), "convert", models.Pt("2.6", "error_user_class"), output,
            "--input-shape", "1,4");
        Assert.NotEqual(0, r.ExitCode);
        Assert.StartsWith("error: cannot convert to ONNX: __main__.Net: the root module is user code", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.DoesNotContain("PtSharp.", r.Stderr);
        Assert.False(File.Exists(output));
        var unknown = CliProcess.Run(TimeSpan.FromMinutes(1), "convert", models.Pt("2.6", "resnet18_state_dict"),
            output, "--arch", "resnet19");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.StartsWith("error: cannot convert to ONNX: unknown architecture 'resnet19'; known: alexnet, ",
            unknown.Stderr);
        Assert.Single(unknown.Stderr.Trim().Split('\n'));
    }
}
