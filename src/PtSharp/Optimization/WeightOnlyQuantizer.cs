using PtSharp.Safetensors;
using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Optimization;

/// <summary>
/// Weight-only quantized safetensors: each selected Linear's <c>P.weight</c> becomes int8 (or float8_e4m3fn) with
/// one float32 scale per output channel in <c>P.weight_scale</c> (shape <c>[out, 1]</c>), so
/// <c>weight ≈ P.weight.float() * P.weight_scale</c>; every other tensor is copied unchanged. <c>__metadata__</c>
/// records the format (<c>quantization</c>) and the quantized modules (<c>quantized_modules</c>, comma-separated).
/// </summary>
internal static class WeightOnlyQuantizer
{
    /// <summary>The largest magnitude each format maps a channel's absolute maximum to.</summary>
    private static float Range(WeightOnlyFormat format) => format == WeightOnlyFormat.Int8 ? 127f : 448f;

    public static void Write(string output, IReadOnlyList<NamedTensor> tensors, List<LinearLayers.Layer> layers,
        WeightOnlyFormat format, QuantizeReport report)
    {
        var byWeight = layers.ToDictionary(l => l.Weight.Name, StringComparer.Ordinal);
        var written = new List<NamedTensor>(tensors.Count + layers.Count);
        long after = 0;
        foreach (var nt in tensors)
        {
            if (!byWeight.TryGetValue(nt.Name, out var layer))
            {
                written.Add(nt);
                after += nt.Tensor.IsSparse ? 0 : nt.Tensor.ByteCount;
                continue;
            }
            var (q, scales, stats) = Quantize(layer.Weight.Tensor, format);
            written.Add(new NamedTensor(nt.Name, q));
            written.Add(new NamedTensor(nt.Name + "_scale", scales));
            after += q.ByteCount + scales.ByteCount;
            string scheme = format == WeightOnlyFormat.Int8 ? "int8_weight_only" : "fp8_e4m3fn_weight_only";
            report.Layers.Add(new QuantizedLayer(layer.Module, [.. nt.Tensor.Shape], scheme,
                stats.MaxScale, stats.MaxError, stats.MeanError) { Weight = nt.Name });
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["quantization"] = format == WeightOnlyFormat.Int8 ? "int8_weight_only" : "fp8_e4m3fn_weight_only",
            ["quantization_scheme"] = "symmetric per output channel: weight = q * weight_scale",
            ["quantized_modules"] = string.Join(",", layers.Select(l => l.Module)),
        };
        SafetensorsWriter.Save(output, written, new SafetensorsSaveOptions { Metadata = metadata });
        report.BytesAfter = after;
    }

    private readonly record struct Stats(double MaxScale, double MaxError, double MeanError);

    private static (PtTensor Q, PtTensor Scales, Stats Stats) Quantize(PtTensor weight, WeightOnlyFormat format)
    {
        int rows = checked((int)weight.Shape[0]);
        long inner = rows == 0 ? 0 : weight.ElementCount / rows;
        var (min, max) = SymmetricQuantization.RowMinMax(weight);
        var scales = new float[rows];
        float range = Range(format);
        for (int r = 0; r < rows; r++)
        {
            float absMax = MathF.Max(MathF.Abs(min[r]), MathF.Abs(max[r]));
            scales[r] = absMax > 0 && float.IsFinite(absMax) ? absMax / range : 1f;
        }
        var data = new byte[weight.ElementCount];
        double maxError = 0, sum = 0;
        long at = 0;
        using (var reader = new FloatReader(weight))
            while (reader.Remaining > 0)
            {
                var v = reader.Next();
                for (int i = 0; i < v.Length; i++, at++)
                {
                    float s = scales[at / inner];
                    float x = v[i] / s;
                    float back;
                    if (format == WeightOnlyFormat.Int8)
                    {
                        float r = Math.Clamp(MathF.Round(x, MidpointRounding.ToEven), -127f, 127f);
                        data[at] = (byte)(sbyte)r;
                        back = r * s;
                    }
                    else
                    {
                        byte b = FloatBits.FloatToE4M3Fn(BitConverter.SingleToUInt32Bits(x));
                        data[at] = b;
                        back = BitConverter.UInt32BitsToSingle(FloatBits.E4M3FnToFloat(b)) * s;
                    }
                    double e = Math.Abs(v[i] - (double)back);
                    if (e > maxError) maxError = e;
                    sum += e;
                }
            }
        var q = PtTensor.FromArray(data, [.. weight.Shape],
            format == WeightOnlyFormat.Int8 ? DType.Int8 : DType.Float8E4M3FN);
        var scaleTensor = PtTensor.FromArray(scales, [rows, 1]);
        double mean = weight.ElementCount == 0 ? 0 : sum / weight.ElementCount;
        return (q, scaleTensor, new Stats(rows == 0 ? 0 : scales.Max(), maxError, mean));
    }

}
