using PtSharp.Loading;
using PtSharp.Optimization;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Tests.Optimization;

/// <summary>
/// The library transforms on state dicts built in .NET: strided and half-precision weights quantize as their
/// contiguous float32 values do, quantized files read back with the right layout, pruned files keep the input's
/// other tensors, and folding a mask computes <c>orig * mask</c> in the weight's dtype.
/// </summary>
public sealed class OptimizedFilesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-optimize-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_dir.FullName, name);

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    private string Save(params (string Name, PtTensor Tensor)[] tensors)
    {
        string path = Path(Guid.NewGuid().ToString("N") + ".pt");
        PtWriter.SaveStateDict(path, tensors.Select(t => new NamedTensor(t.Name, t.Tensor)));
        return path;
    }

    private static PtTensor QWeight(PtFile file, string module) =>
        (PtTensor)((PyTuple)((PyDict)file.Root!)[module + "._packed_params._packed_params"]!)[0]!;

    [Fact]
    public void A_transposed_weight_quantizes_like_its_contiguous_copy()
    {
        var data = Random(40 * 30, 1);
        var contiguous = PtTensor.FromArray(data, [40, 30]);
        // The same logical [40, 30] matrix stored column-major: storage [30, 40] viewed with strides (1, 40).
        var columnMajor = new float[data.Length];
        for (int r = 0; r < 40; r++) for (int c = 0; c < 30; c++) columnMajor[c * 40 + r] = data[r * 30 + c];
        var strided = PtTensor.FromArray(columnMajor, [30, 40]).View([40, 30], [1, 40], 0);
        foreach (bool perChannel in new[] { false, true })
        {
            string a = Path($"a{perChannel}.pt"), b = Path($"b{perChannel}.pt");
            DynamicQuantizer.Quantize(Save(("fc.weight", contiguous)), a, new QuantizeOptions { PerChannel = perChannel });
            DynamicQuantizer.Quantize(Save(("fc.weight", strided)), b, new QuantizeOptions { PerChannel = perChannel });
            using var fa = PtFile.Open(a);
            using var fb = PtFile.Open(b);
            var (qa, qb) = (QWeight(fa, "fc"), QWeight(fb, "fc"));
            Assert.Equal(DType.QInt8, qa.DType);
            Assert.Equal([40L, 30L], qa.Shape);
            Assert.Equal(qa.Storage!.Bytes.ToArray(), qb.Storage!.Bytes.ToArray());
            Assert.Equal(perChannel ? "per_channel_affine" : "per_tensor_affine", qa.Quantization!.Scheme);
        }
    }

    [Fact]
    public void The_int8_values_dequantize_within_half_a_scale_of_the_weight()
    {
        var data = Random(64 * 16, 2);
        string q = Path("q.pt");
        var report = DynamicQuantizer.Quantize(Save(("fc.weight", PtTensor.FromArray(data, [64, 16])), ("fc.bias", PtTensor.FromArray(Random(64, 3), [64]))), q, new QuantizeOptions());
        using var file = PtFile.Open(q);
        var w = QWeight(file, "fc");
        double scale = w.Quantization!.Scale;
        var back = w.ToFloatArray();
        double max = data.Select((x, i) => Math.Abs(x - back[i])).Max();
        Assert.True(max <= scale / 2 * 1.0001, $"max error {max} with scale {scale}");
        var layer = Assert.Single(report.Layers);
        Assert.Equal(max, layer.MaxAbsError, 6);
        Assert.True(report.BytesAfter < report.BytesBefore / 3);
    }

    [Fact]
    public void Half_precision_weights_quantize_as_their_float32_values()
    {
        var data = Random(20 * 8, 4);
        var half = data.Select(x => (Half)x).ToArray();
        var widened = half.Select(h => (float)h).ToArray();
        string a = Path("h.pt"), b = Path("f.pt");
        DynamicQuantizer.Quantize(Save(("l.weight", PtTensor.FromArray(half, [20, 8]))), a, new QuantizeOptions());
        DynamicQuantizer.Quantize(Save(("l.weight", PtTensor.FromArray(widened, [20, 8]))), b, new QuantizeOptions());
        using var fa = PtFile.Open(a);
        using var fb = PtFile.Open(b);
        Assert.Equal(QWeight(fb, "l").Storage!.Bytes.ToArray(), QWeight(fa, "l").Storage!.Bytes.ToArray());
        Assert.Equal(QWeight(fb, "l").Quantization!.Scale, QWeight(fa, "l").Quantization!.Scale);
    }

    [Fact]
    public void Pruning_keeps_every_other_tensor_and_writes_zeros_with_the_weights_sign()
    {
        var data = Random(100, 5);
        var bias = PtTensor.FromArray(Random(10, 6), [10]);
        string src = Save(("fc.weight", PtTensor.FromArray(data, [10, 10])), ("fc.bias", bias), ("steps", PtTensor.Scalar(7L)));
        string output = Path("p.pt");
        var report = MagnitudePruner.Prune(src, output, new PruneOptions { Amount = 0.25 });
        using var file = PtFile.Open(output);
        var sd = file.StateDict.ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Equal(["fc.weight", "fc.bias", "steps"], file.StateDict.Select(t => t.Name));
        Assert.Equal(bias.ToFloatArray(), sd["fc.bias"].ToFloatArray());
        var w = sd["fc.weight"].ToArray<float>();
        var cut = data.Select(MathF.Abs).Order().ElementAt(24);
        for (int i = 0; i < data.Length; i++)
        {
            if (MathF.Abs(data[i]) <= cut)
            {
                Assert.Equal(0f, w[i]);
                Assert.Equal(float.IsNegative(data[i]), float.IsNegative(w[i])); // orig * 0 keeps the sign
            }
            else Assert.Equal(data[i], w[i]);
        }
        var pruned = Assert.Single(report.Tensors);
        Assert.Equal(25, pruned.Pruned);
        Assert.Equal(0.25, pruned.Sparsity);
    }

    [Fact]
    public void Folding_multiplies_each_orig_by_its_mask_and_drops_both()
    {
        var orig = PtTensor.FromArray(new[] { (Half)1.5f, (Half)(-2f), (Half)3f, (Half)(-4f) }, [2, 2]);
        var mask = PtTensor.FromArray(new[] { (Half)1f, (Half)0f, (Half)0f, (Half)1f }, [2, 2]);
        var lone = PtTensor.FromArray(new[] { 1f }, [1]);
        var view = PruningFold.Fold([new("a.weight_orig", orig), new("a.weight_mask", mask), new("b.bias_orig", lone)], out var folded);
        Assert.Equal(["a.weight"], folded);
        Assert.Equal(["a.weight", "b.bias_orig"], view.Select(t => t.Name));
        var w = view[0].Tensor;
        Assert.Equal(DType.Float16, w.DType);
        Assert.Equal([1.5f, -0f, 0f, -4f], w.ToFloatArray());
        Assert.True(float.IsNegative(w.ToFloatArray()[1]));
    }

    [Fact]
    public void Bad_amounts_and_outputs_are_argument_errors_before_anything_is_written()
    {
        string src = Save(("fc.weight", PtTensor.FromArray(Random(4, 7), [2, 2])));
        Assert.Throws<ArgumentException>(() => MagnitudePruner.Prune(src, Path("x.pt"), new PruneOptions { Amount = 1.5 }));
        Assert.Throws<ArgumentException>(() => MagnitudePruner.Prune(src, Path("x.pt"), new PruneOptions { Count = 5 }));
        Assert.Throws<ArgumentException>(() => MagnitudePruner.Prune(src, Path("x.pt"), new PruneOptions { StructuredNorm = 2, Scope = PruneScope.Global }));
        Assert.Throws<ArgumentException>(() => DynamicQuantizer.Quantize(src, Path("x.safetensors"), new QuantizeOptions()));
        Assert.False(File.Exists(Path("x.pt")));
    }
}
