using PtSharp.Onnx.Tests.Support;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>Op coverage and graph structure of the converted models (what each aten op became).</summary>
[Collection(nameof(OnnxModels))]
public sealed class StructureTests(OnnxModels models)
{
    [Fact]
    public void Op_zoo_maps_every_aten_op_to_its_onnx_op()
    {
        if (models.OracleMissing()) return;
        var ops = models.Converted[("2.6", "op_zoo")].OpCounts;
        foreach (var op in new[] { "MaxPool", "AveragePool", "HardSwish", "HardSigmoid", "Pow", "Neg", "Erf", "Clip", "LeakyRelu",
                     "Transpose", "Reshape", "Conv", "InstanceNormalization", "Squeeze", "Unsqueeze", "Split", "ReduceMean",
                     "ReduceSum", "Concat", "Gather", "Slice", "Softmax", "LogSoftmax", "Exp", "Sqrt", "Div", "Tanh" })
            Assert.True(ops.ContainsKey(op), $"op_zoo has no {op} node: {string.Join(", ", ops.Keys)}");
    }

    [Theory]
    [InlineData("2.6")]
    [InlineData("1.13")]
    public void Resnet18_has_the_structure_torch_onnx_export_gives_before_folding(string version)
    {
        if (models.OracleMissing() || !models.Versions.Contains(version)) return;
        var ops = models.Converted[(version, "resnet18")].OpCounts;
        Assert.Equal(20, ops["Conv"]);
        Assert.Equal(20, ops["BatchNormalization"]);
        Assert.Equal(17, ops["Relu"]);
        Assert.Equal(8, ops["Add"]);
        Assert.Equal(1, ops["MaxPool"]);
        Assert.Equal(1, ops["GlobalAveragePool"]);
        Assert.Equal(1, ops["Flatten"]);
        Assert.Equal(1, ops["Gemm"]);
        Assert.Equal(69, ops.Values.Sum());
    }

    [Fact]
    public void Transformer_layer_uses_layer_normalization_and_matmuls()
    {
        if (models.OracleMissing()) return;
        var ops = models.Converted[("2.6", "transformer_layer")].OpCounts;
        Assert.Equal(2, ops["LayerNormalization"]);
        Assert.Equal(1, ops["Softmax"]);
        Assert.True(ops["MatMul"] >= 4);
        Assert.DoesNotContain("Dropout", ops.Keys);
    }
}
