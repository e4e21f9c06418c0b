using System.Runtime.InteropServices;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// One Linear weight quantized to qint8 while it is written: the observer pass (min/max) runs up front, the int8
/// bytes are computed chunk by chunk from the mapped float weight, and the dequantization error is measured on
/// the way.
/// </summary>
internal sealed class QuantizedWeight
{
    private readonly PtTensor _weight;
    private readonly float[] _scales;
    private readonly long _inner;
    private double _maxError;
    private double _errorSum;

    private QuantizedWeight(PtTensor weight, float[] scales)
    {
        _weight = weight;
        _scales = scales;
        _inner = weight.Shape[0] == 0 ? 0 : weight.ElementCount / weight.Shape[0];
    }

    /// <summary>True once every element was written (the error figures are complete).</summary>
    public bool Done { get; private set; }

    /// <summary>Largest absolute dequantization error.</summary>
    public double MaxAbsError => _maxError;

    /// <summary>Mean absolute dequantization error.</summary>
    public double MeanAbsError => _weight.ElementCount == 0 ? 0 : _errorSum / _weight.ElementCount;

    /// <summary>The per-tensor scale, or the largest per-channel scale.</summary>
    public float Scale => _scales.Length == 0 ? 1f : _scales.Max();

    /// <summary>Runs the observer over <paramref name="weight"/> and returns the quantized tensor that computes itself when written.</summary>
    public static (QuantizedWeight Weight, PtTensor Tensor) Create(PtTensor weight, bool perChannel)
    {
        float[] scales;
        QuantizationParameters q;
        if (perChannel)
        {
            var (min, max) = SymmetricQuantization.RowMinMax(weight);
            scales = new float[min.Length];
            for (int i = 0; i < scales.Length; i++) scales[i] = SymmetricQuantization.Scale(min[i], max[i]);
            // quantize_per_channel gets wt_scale.to(torch.double): the float32 scales widened.
            var scaleTensor = PtTensor.FromArray(scales.Select(s => (double)s).ToArray(), [scales.Length]);
            var zeroTensor = PtTensor.FromArray(new long[scales.Length], [scales.Length]);
            q = new QuantizationParameters("per_channel_affine", scaleTensor, zeroTensor, 0);
        }
        else
        {
            var (min, max) = SymmetricQuantization.MinMax(weight);
            float s = SymmetricQuantization.Scale(min, max);
            scales = [s];
            q = new QuantizationParameters("per_tensor_affine", s, 0);
        }
        var qw = new QuantizedWeight(weight, scales);
        var tensor = ComputedTensor.Create(DType.QInt8, [.. weight.Shape], qw.Produce, q);
        return (qw, tensor);
    }

    private void Produce(Action<ReadOnlySpan<byte>> sink)
    {
        _maxError = 0;
        _errorSum = 0;
        using var reader = new FloatReader(_weight);
        long at = 0;
        float[] inverse = _scales.Select(s => 1f / s).ToArray();
        ComputedTensor.InChunks(sink, buffer =>
        {
            var v = reader.Next();
            if (v.Length == 0) return 0;
            var q = MemoryMarshal.Cast<byte, sbyte>(buffer[..v.Length]);
            int i = 0;
            while (i < v.Length)
            {
                // One run of the chunk within one output channel (the whole chunk for a per-tensor scale).
                int channel = _scales.Length == 1 ? 0 : (int)((at + i) / _inner);
                int take = _scales.Length == 1 ? v.Length : (int)Math.Min(v.Length - i, _inner - (at + i) % _inner);
                QuantizeRun(v.Slice(i, take), q.Slice(i, take), _scales[channel], inverse[channel]);
                i += take;
            }
            at += v.Length;
            return v.Length;
        });
        Done = true;
    }

    private void QuantizeRun(ReadOnlySpan<float> values, Span<sbyte> output, float scale, float inverse)
    {
        double maxError = _maxError, sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sbyte x = SymmetricQuantization.Quantize(values[i], inverse);
            output[i] = x;
            double error = Math.Abs(values[i] - x * scale); // dequantize() computes (q - 0) * scale in float32
            if (error > maxError) maxError = error;
            sum += error;
        }
        _maxError = maxError;
        _errorSum += sum;
    }
}
