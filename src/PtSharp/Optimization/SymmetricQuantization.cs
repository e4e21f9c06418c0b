using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// The weight rule of <c>quantize_dynamic(..., dtype=torch.qint8)</c>: torch's MinMaxObserver (per tensor) or
/// PerChannelMinMaxObserver (axis 0) with <c>qscheme=per_*_symmetric</c>, <c>quant_min=-128</c>,
/// <c>quant_max=127</c>: <c>scale = max(max(-min(min_val, 0), max(max_val, 0)) / 127.5, float32 eps)</c> in
/// float32, zero point 0; then <c>quantize_per_tensor</c>/<c>quantize_per_channel</c>:
/// <c>q = clamp(nearbyint(x * (1 / scale)), -128, 127)</c> in float32 (round half to even).
/// </summary>
internal static class SymmetricQuantization
{
    /// <summary><c>torch.finfo(torch.float32).eps</c>, the observer's floor for a scale.</summary>
    public const float Epsilon = 1.1920929e-07f;

    /// <summary>The symmetric qint8 scale for values in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static float Scale(float min, float max)
    {
        float minNeg = MathF.Min(min, 0f);
        float maxPos = MathF.Max(max, 0f);
        float bound = MathF.Max(-minNeg, maxPos);
        float scale = bound / 127.5f;
        return MathF.Max(scale, Epsilon);
    }

    /// <summary>Quantizes one value with a float32 scale, as ATen's <c>quantize_val</c> does for qint8 with zero point 0.</summary>
    public static sbyte Quantize(float value, float inverseScale)
    {
        float r = MathF.Round(value * inverseScale, MidpointRounding.ToEven);
        if (r >= 127f) return 127;
        if (r <= -128f) return -128;
        if (float.IsNaN(r)) return 0;
        return (sbyte)r;
    }

    /// <summary>Per-tensor minimum and maximum (torch.aminmax); NaN propagates as in torch.</summary>
    public static (float Min, float Max) MinMax(PtTensor tensor)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        using var reader = new FloatReader(tensor);
        while (reader.Remaining > 0)
        {
            var v = reader.Next();
            if (v.Length == 0) break;
            float a = System.Numerics.Tensors.TensorPrimitives.Min(v), b = System.Numerics.Tensors.TensorPrimitives.Max(v);
            min = float.IsNaN(a) || float.IsNaN(min) ? float.NaN : MathF.Min(min, a);
            max = float.IsNaN(b) || float.IsNaN(max) ? float.NaN : MathF.Max(max, b);
        }
        return (min, max);
    }

    /// <summary>Per-row minimum and maximum of a tensor whose first dimension is the channel axis.</summary>
    public static (float[] Min, float[] Max) RowMinMax(PtTensor tensor)
    {
        int rows = checked((int)tensor.Shape[0]);
        long inner = rows == 0 ? 0 : tensor.ElementCount / rows;
        var min = new float[rows];
        var max = new float[rows];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        long at = 0;
        using var reader = new FloatReader(tensor);
        while (reader.Remaining > 0)
        {
            var v = reader.Next();
            int i = 0;
            while (i < v.Length)
            {
                int row = (int)(at / inner);
                int take = (int)Math.Min(v.Length - i, inner - at % inner);
                var part = v.Slice(i, take);
                float a = System.Numerics.Tensors.TensorPrimitives.Min(part), b = System.Numerics.Tensors.TensorPrimitives.Max(part);
                min[row] = float.IsNaN(a) || float.IsNaN(min[row]) ? float.NaN : MathF.Min(min[row], a);
                max[row] = float.IsNaN(b) || float.IsNaN(max[row]) ? float.NaN : MathF.Max(max[row], b);
                i += take;
                at += take;
            }
        }
        return (min, max);
    }
}
