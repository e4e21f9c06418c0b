using System.Numerics;
using System.Runtime.InteropServices;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Tests.Writing;

/// <summary>
/// State dicts and training checkpoints built entirely in .NET for the interop test: one tensor of every dtype the
/// oracle supports with edge values (NaN, ±inf, -0, subnormals, extremes), tied tensors, views with offsets, a
/// transposed view, 0-dim and zero-size tensors, <c>_metadata</c>; and Adam / SGD-momentum checkpoints of
/// <c>nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2))</c>.
/// </summary>
internal static class DotnetBuiltFiles
{
    private static PtTensor Bytes(DType d, long[] shape, params byte[] raw) => RandomTrees.Create(raw, shape, d);

    /// <summary>A 1-d tensor from the raw element bytes of <paramref name="values"/> (two floats make one complex64).</summary>
    private static PtTensor Raw<T>(DType d, params T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        return RandomTrees.Create(bytes, [bytes.Length / d.ElementSize()], d);
    }

    /// <summary>One tensor per dtype; <paramref name="torch26"/> adds the dtypes torch 1.13 does not have.</summary>
    public static PyDict DTypesStateDict(bool torch26)
    {
        var sd = new PyDict("collections.OrderedDict")
        {
            { "f64", PtTensor.FromArray(new[] { 1.5, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, 2.2250738585072009e-308, double.MaxValue, -123.456 }, [9]) },
            { "f32", PtTensor.FromArray(new[] { 1.5f, -0.0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, 1e-40f, float.MaxValue, -123.456f, 0.1f }, [2, 5]) },
            { "f16", PtTensor.FromArray(new[] { (Half)1.5, (Half)(-0.0), Half.NaN, Half.PositiveInfinity, Half.NegativeInfinity, Half.Epsilon, (Half)1e-5, Half.MaxValue, (Half)(-0.333) }, [3, 3]) },
            { "bf16", Raw<ushort>(DType.BFloat16, 0x3FC0, 0x8000, 0x7FC0, 0x7F80, 0xFF80, 0x0001, 0x007F, 0x7F7F, 0xC2F7, 0x3DCD) },
            { "c64", Raw<float>(DType.Complex64, 1.5f, -2f, float.NaN, float.PositiveInfinity, -0.0f, float.Epsilon) },
            { "c128", PtTensor.FromArray(new[] { new Complex(1.5, -2), new Complex(double.NaN, double.NegativeInfinity), new Complex(-0.0, double.Epsilon) }, [3]) },
            { "i8", PtTensor.FromArray(new sbyte[] { -128, 127, 0, -1 }, [4]) },
            { "u8", PtTensor.FromArray(new byte[] { 0, 255, 1, 128 }, [2, 2]) },
            { "i16", PtTensor.FromArray(new short[] { short.MinValue, short.MaxValue, 0, -1 }, [4]) },
            { "i32", PtTensor.FromArray(new[] { int.MinValue, int.MaxValue, 0, -1 }, [4]) },
            { "i64", PtTensor.FromArray(new[] { long.MinValue, long.MaxValue, 0, -1, 1L << 53 }, [5]) },
            { "bool", PtTensor.FromArray(new[] { true, false, true, true }, [2, 2]) },
        };
        if (torch26)
        {
            sd.Set("f8e4m3fn", Bytes(DType.Float8E4M3FN, [8], 0x38, 0x80, 0x7F, 0x01, 0x07, 0x7E, 0xBC, 0xFE));
            sd.Set("f8e5m2", Bytes(DType.Float8E5M2, [8], 0x3C, 0x80, 0x7C, 0xFC, 0x7E, 0x01, 0x7B, 0xBE));
            sd.Set("f8e4m3fnuz", Bytes(DType.Float8E4M3FNUZ, [6], 0x40, 0x80, 0x01, 0x7F, 0xFF, 0x00));
            sd.Set("f8e5m2fnuz", Bytes(DType.Float8E5M2FNUZ, [6], 0x40, 0x80, 0x01, 0x7F, 0xFF, 0x00));
            sd.Set("u16", PtTensor.FromArray(new ushort[] { 0, ushort.MaxValue, 1, 0x8000 }, [4]));
            sd.Set("u32", PtTensor.FromArray(new uint[] { 0, uint.MaxValue, 1, 0x80000000 }, [4]));
            sd.Set("u64", PtTensor.FromArray(new ulong[] { 0, ulong.MaxValue, 1, 1UL << 63 }, [4]));
            sd.Set("c32", Raw<Half>(DType.Complex32, (Half)1.5, (Half)(-2), Half.NaN, Half.PositiveInfinity, (Half)(-0.0), Half.Epsilon));
        }

        // storage sharing and views, all over one float32 storage of 24 elements
        var block = PtTensor.FromArray(Enumerable.Range(0, 24).Select(i => i * 0.5f - 3).ToArray(), [24]);
        sd.Set("emb.weight", block.View([4, 6], [6, 1], 0));
        sd.Set("head.weight", block.View([4, 6], [6, 1], 0)); // tied: a separate tensor over the same storage
        sd.Set("view.offset", block.View([2, 3], [3, 1], 5));
        sd.Set("view.transposed", block.View([6, 4], [1, 6], 0));
        sd.Set("view.strided", block.View([3, 2], [7, 2], 1));
        sd.Set("view.scalar_at_17", block.View([], [], 17));
        sd.Set("scalar", PtTensor.Scalar(-7.25f));
        sd.Set("scalar_i64", PtTensor.Scalar(42L));
        sd.Set("empty_0x4", PtTensor.FromArray(Array.Empty<float>(), [0, 4]));
        sd.Set("empty_i64", PtTensor.FromArray(Array.Empty<long>(), [0]));
        var param = PtTensor.FromArray(new[] { 0.25f, -0.5f }, [2]);
        param.IsParameter = true;
        param.RequiresGrad = true;
        sd.Set("param", param);
        var grad = PtTensor.FromArray(new[] { 1.0, 2.0 }, [2]);
        grad.RequiresGrad = true;
        sd.Set("requires_grad", grad);

        var metadata = new PyDict("collections.OrderedDict");
        metadata.Set("", new PyDict { { "version", 1L } });
        foreach (var module in new[] { "emb", "head", "view" }) metadata.Set(module, new PyDict { { "version", 2L } });
        sd.Attributes = new PyDict { { "_metadata", metadata } };
        return sd;
    }

    /// <summary>
    /// Parameters requiring grad of dtypes torch.save writes through UntypedStorage + <c>_rebuild_tensor_v3</c>
    /// (torch 2.6 saves and loads <c>nn.Parameter(torch.zeros(2, dtype=torch.float8_e4m3fn))</c> fine), next to a
    /// float32 one.
    /// </summary>
    public static PyDict V3Parameters()
    {
        var sd = new PyDict("collections.OrderedDict");
        foreach (var (name, t) in new[]
        {
            ("f32", PtTensor.FromArray(new[] { 0.5f, -1f }, [2])),
            ("f8e4m3fn", Bytes(DType.Float8E4M3FN, [2], 0x38, 0xC0)),
            ("f8e5m2", Bytes(DType.Float8E5M2, [2], 0x3C, 0xBC)),
            ("c32", Raw<Half>(DType.Complex32, (Half)1, (Half)(-1))),
        })
        {
            t.IsParameter = true;
            t.RequiresGrad = true;
            sd.Set(name, t);
        }
        return sd;
    }

    /// <summary>Parameter names and shapes of <c>nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))</c>.</summary>
    public static readonly (string Name, long[] Shape)[] SequentialParameters =
    [
        ("0.weight", [3, 4]), ("0.bias", [3]), ("2.weight", [2, 3]), ("2.bias", [2]),
    ];

    private static PtTensor RandomFloats(Random r, long[] shape, float scale, bool positive = false)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = positive ? r.NextSingle() * scale + 1e-4f : (r.NextSingle() - 0.5f) * 2 * scale;
        return PtTensor.FromArray(data, shape);
    }

    private static PyDict ModelStateDict(Random r)
    {
        var sd = new PyDict("collections.OrderedDict");
        foreach (var (name, shape) in SequentialParameters) sd.Set(name, RandomFloats(r, shape, 0.5f));
        var metadata = new PyDict("collections.OrderedDict");
        foreach (var module in new[] { "", "0", "1", "2" }) metadata.Set(module, new PyDict { { "version", 1L } });
        sd.Attributes = new PyDict { { "_metadata", metadata } };
        return sd;
    }

    private static PyList Params() => new(Enumerable.Range(0, SequentialParameters.Length).Select(i => (object?)(long)i));

    /// <summary><c>{'epoch': 3, 'model_state_dict': ..., 'optimizer_state_dict': Adam state after 2 steps, 'loss': tensor(0.12)}</c>.</summary>
    public static PyDict AdamCheckpoint()
    {
        var r = new Random(1234);
        var state = new PyDict();
        for (int i = 0; i < SequentialParameters.Length; i++)
        {
            var shape = SequentialParameters[i].Shape;
            state.Set((long)i, new PyDict
            {
                { "step", PtTensor.Scalar(2.0f) },
                { "exp_avg", RandomFloats(r, shape, 0.05f) },
                { "exp_avg_sq", RandomFloats(r, shape, 0.001f, positive: true) },
            });
        }
        var group = new PyDict
        {
            { "lr", 0.001 }, { "betas", new PyTuple([0.9, 0.999]) }, { "eps", 1e-8 }, { "weight_decay", 0L },
            { "amsgrad", false }, { "maximize", false }, { "foreach", null }, { "capturable", false },
            { "differentiable", false }, { "fused", null }, { "params", Params() },
        };
        return new PyDict
        {
            { "epoch", 3L },
            { "model_state_dict", ModelStateDict(r) },
            { "optimizer_state_dict", new PyDict { { "state", state }, { "param_groups", new PyList { group } } } },
            { "loss", PtTensor.Scalar(0.12f) },
        };
    }

    /// <summary>The same model with SGD (momentum 0.9) state: a momentum buffer per parameter.</summary>
    public static PyDict SgdCheckpoint()
    {
        var r = new Random(99);
        var state = new PyDict();
        for (int i = 0; i < SequentialParameters.Length; i++)
            state.Set((long)i, new PyDict { { "momentum_buffer", RandomFloats(r, SequentialParameters[i].Shape, 0.1f) } });
        var group = new PyDict
        {
            { "lr", 0.01 }, { "momentum", 0.9 }, { "dampening", 0L }, { "weight_decay", 0L }, { "nesterov", false },
            { "maximize", false }, { "foreach", null }, { "differentiable", false }, { "fused", null }, { "params", Params() },
        };
        return new PyDict
        {
            { "epoch", 7L },
            { "model_state_dict", ModelStateDict(r) },
            { "optimizer_state_dict", new PyDict { { "state", state }, { "param_groups", new PyList { group } } } },
            { "loss", PtTensor.Scalar(0.5f) },
        };
    }
}
