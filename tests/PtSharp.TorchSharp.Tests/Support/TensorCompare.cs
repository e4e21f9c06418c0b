using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests.Support;

/// <summary>Comparisons of TorchSharp tensors with reference outputs.</summary>
internal static class TensorCompare
{
    public static string Hex(Tensor t)
    {
        if (t.NumberOfElements == 0) return "";
        using var c = t.contiguous();
        return Convert.ToHexString(c.bytes).ToLowerInvariant();
    }

    /// <summary>Largest |a - b| relative to max(|b|) over the tensor (both as float64).</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = torch.NewDisposeScope();
        var a = actual.to_type(ScalarType.Float64);
        var e = expected.to_type(ScalarType.Float64);
        Assert.Equal(e.shape, a.shape);
        double scale = Math.Max(e.abs().max().item<double>(), 1e-12);
        return (a - e).abs().max().item<double>() / scale;
    }
}
