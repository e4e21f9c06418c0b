using PtSharp.Onnx.Tests.Support;
using PtSharp.Pickle;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>Every way a conversion refuses: a typed error naming the op, the code record and the line; no file written.</summary>
[Collection(nameof(OnnxModels))]
public sealed class ConversionErrorTests(OnnxModels models)
{
    private string Out() => Path.Combine(models.Dir, Guid.NewGuid().ToString("N") + ".onnx");

    private static OnnxConvertOptions Shape(params long[] shape) => new() { Inputs = [new OnnxInputSpec(shape)] };

    [Fact]
    public void Unknown_op_names_the_op_record_and_line()
    {
        if (models.OracleMissing()) return;
        string output = Out();
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "error_unknown_op"), output, Shape(2, 3)));
        Assert.Equal("aten::cumsum", e.Op);
        Assert.Equal("code/__torch__.py", e.Record);
        Assert.True(e.Line > 0);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Data_dependent_if_is_refused()
    {
        if (models.OracleMissing()) return;
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "error_data_dependent_if"), Out(), Shape(2, 3)));
        Assert.Contains("data-dependent control flow", e.Message);
        Assert.Equal("code/__torch__.py", e.Record);
        Assert.True(e.Line > 0);
    }

    [Fact]
    public void Layer_norm_below_opset_17_is_refused()
    {
        if (models.OracleMissing()) return;
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "tiny_net"), Out(),
            new OnnxConvertOptions { Inputs = [new OnnxInputSpec([2, 3, 8, 8])], Opset = 16 }));
        Assert.Equal("aten::layer_norm", e.Op);
    }

    [Fact]
    public void Unbatched_convolution_input_is_refused_in_the_scripted_conv()
    {
        if (models.OracleMissing()) return;
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "tiny_net"), Out(), Shape(3, 8, 8)));
        Assert.Equal("aten::conv2d", e.Op);
        Assert.Contains("torch/nn/modules/conv", e.Record);
    }

    [Fact]
    public void Channel_mismatch_is_refused()
    {
        if (models.OracleMissing()) return;
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "small_cnn"), Out(), Shape(1, 4, 8, 8)));
        Assert.Equal("aten::_convolution", e.Op);
    }

    [Fact]
    public void Wrong_number_of_input_shapes_is_an_error()
    {
        if (models.OracleMissing()) return;
        var options = new OnnxConvertOptions { Inputs = [new OnnxInputSpec([1, 16]), new OnnxInputSpec([1, 16])] };
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "mlp"), Out(), options));
        Assert.Contains("forward takes 1 input", e.Message);
    }

    [Fact]
    public void Incompatible_input_shape_is_an_error()
    {
        if (models.OracleMissing()) return;
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(models.Pt("2.6", "mlp"), Out(), Shape(4, 15)));
        Assert.Equal("aten::linear", e.Op);
    }

    [Fact]
    public void Missing_input_shapes_and_bad_opsets_are_errors()
    {
        if (models.OracleMissing()) return;
        Assert.Contains("--input-shape", Assert.Throws<OnnxConversionException>(
            () => OnnxConverter.Convert(models.Pt("2.6", "mlp"), Out(), new OnnxConvertOptions())).Message);
        Assert.Contains("opset 12", Assert.Throws<OnnxConversionException>(
            () => OnnxConverter.Convert(models.Pt("2.6", "mlp"), Out(), new OnnxConvertOptions { Inputs = [new OnnxInputSpec([1, 16])], Opset = 12 })).Message);
    }

    [Fact]
    public void A_state_dict_has_no_graph()
    {
        string sd = Path.Combine(RepoPaths.Fixtures, "torch-2.6", "mlp_state_dict.pt");
        var e = Assert.Throws<OnnxConversionException>(() => OnnxConverter.Convert(sd, Out(), Shape(1, 8)));
        Assert.Contains("TorchScript archives and complete pickled models", e.Message);
        Assert.Contains("--arch", e.Message);
    }

    [Fact]
    public void Like_refuses_an_export_that_folded_batchnorm_into_conv()
    {
        if (models.OracleMissing()) return;
        string d = Path.Combine(models.Dir, "2.6");
        var e = Assert.Throws<OnnxConversionException>(() => OnnxWeightRefresher.Refresh(Path.Combine(d, "resnet18_retrained.pt"),
            Path.Combine(d, "resnet18_export_fused.onnx"), Out()));
        Assert.Contains("have no initializer of that name", e.Message);
    }

    [Fact]
    public void Like_refuses_a_shape_mismatch()
    {
        if (models.OracleMissing()) return;
        string bad = Path.Combine(models.Dir, "bad_shape.pt");
        var sd = new PyDict("collections.OrderedDict") { { "conv.weight", PtTensor.FromArray(new float[8], [2, 4]) } };
        PtWriter.Save(bad, sd);
        var e = Assert.Throws<OnnxConversionException>(() => OnnxWeightRefresher.Refresh(bad, models.Onnx("2.6", "small_cnn"), Out()));
        Assert.Contains("conv.weight: the ONNX initializer is [4, 3, 3, 3]", e.Message);
    }

    [Fact]
    public void Cli_reports_a_conversion_error_in_one_line_and_exits_non_zero()
    {
        if (models.OracleMissing()) return;
        string output = Out();
        var r = CliProcess.Run(TimeSpan.FromMinutes(1), "convert", models.Pt("2.6", "error_unknown_op"), output, "--input-shape", "2,3");
        Assert.NotEqual(0, r.ExitCode);
        Assert.StartsWith("error: cannot convert to ONNX: aten::cumsum", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));
        var bad = CliProcess.Run(TimeSpan.FromMinutes(1), "convert", models.Pt("2.6", "mlp"), output, "--input-shape", "4,x");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("error: --input-shape", bad.Stderr);
    }

    [Fact]
    public void Cli_converts_with_the_options_and_reports_the_graph()
    {
        if (models.OracleMissing()) return;
        string output = Out();
        var r = CliProcess.Run(TimeSpan.FromMinutes(1), "convert", models.Pt("2.6", "small_cnn"), output, "--input-shape", "1,3,8,8",
            "--opset", "18", "--dynamic-batch");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("opset 18", r.Stderr);
        var model = PtSharp.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(output));
        Assert.Equal(18, model.OpsetImport[0].Version);
        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch", model.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Contains(model.Graph.Initializer, i => i.Name == "conv.weight");
    }
}
