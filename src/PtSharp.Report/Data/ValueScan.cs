using PtSharp.Tensors;
namespace PtSharp.Report.Data;

/// <summary>
/// The second pass over a tensor's values, once its range and mean are known: a histogram of the finite values
/// over [min, max], the number of zeros, and the centred sum of squares Σ(x − mean)² (two-pass, so the standard
/// deviation stays exact where Σx² − (Σx)²/n would cancel).
/// </summary>
internal sealed class ValueScan
{
    private const int ChunkValues = 1 << 14;

    private readonly double _lo;
    private readonly double _scale;
    private readonly double _mean;
    private readonly int _lastBin;

    public ValueScan(int bins, double min, double max, double mean)
    {
        Bins = new long[bins];
        _lo = min;
        _lastBin = bins - 1;
        _scale = max > min ? bins / (max - min) : 0;
        _mean = mean;
    }

    /// <summary>
    /// Counts of finite values per bin; bin i covers [min + i·w, min + (i+1)·w), the last one includes max.
    /// </summary>
    public long[] Bins { get; }

    /// <summary>Elements equal to zero (±0).</summary>
    public long Zeros { get; private set; }

    /// <summary>Σ(x − mean)² over the finite values.</summary>
    public double CentredSumSq { get; private set; }

    /// <summary>
    /// Reads every value of <paramref name="tensor"/> (the values component of a sparse tensor, the stored integers
    /// of a quantized one, as <see cref="TensorStatistics"/> does). Returns false when the values cannot be read
    /// here (non-contiguous views of large tensors, packed or complex dtypes).
    /// </summary>
    public bool TryScan(PtTensor tensor)
    {
        if (tensor.IsSparse) return tensor.SparseComponents.Count > 0 && TryScan(tensor.SparseComponents[^1]);
        if (tensor.Storage is not { HasData: true } || tensor.ElementCount == 0) return false;
        if (tensor.IsContiguous && tensor.ElementCount <= int.MaxValue && !tensor.IsNeg)
        {
            switch (tensor.DType)
            {
                case DType.Float32: AddFloats(tensor.AsSpan<float>()); return true;
                case DType.Float64: AddGeneric(tensor.AsSpan<double>(), static x => x); return true;
                case DType.Float16: AddGeneric(tensor.AsSpan<Half>(), static x => (double)x); return true;
                case DType.BFloat16:
                    AddGeneric(tensor.AsSpan<ushort>(), static x => BitConverter.Int32BitsToSingle(x << 16));
                    return true;
                case DType.Int8 or DType.QInt8: AddGeneric(tensor.AsSpan<sbyte>(), static x => x); return true;
                case DType.UInt8 or DType.QUInt8: AddGeneric(tensor.AsSpan<byte>(), static x => x); return true;
                case DType.Bool: AddGeneric(tensor.AsSpan<byte>(), static x => x != 0 ? 1 : 0); return true;
                case DType.Int16: AddGeneric(tensor.AsSpan<short>(), static x => x); return true;
                case DType.Int32 or DType.QInt32: AddGeneric(tensor.AsSpan<int>(), static x => x); return true;
                case DType.Int64: AddGeneric(tensor.AsSpan<long>(), static x => x); return true;
            }
        }
        // Other layouts and dtypes: copy through the reader's own decoder, for tensors small enough to copy.
        if (tensor.ElementCount > 1 << 24 || tensor.Quantization is not null || tensor.DType.IsComplex()) return false;
        double[] values;
        try
        {
            values = tensor.ToDoubleArray();
        }
        catch (NotSupportedException)
        {
            return false;
        }
        AddGeneric<double>(values, static x => x);
        return true;
    }

    private void AddFloats(ReadOnlySpan<float> values)
    {
        long zeros = 0;
        double m2 = 0;
        var bins = Bins;
        for (int i = 0; i < values.Length; i++)
        {
            double x = values[i];
            if (x == 0) zeros++;
            if (!double.IsFinite(x)) continue;
            double d = x - _mean;
            m2 += d * d;
            int b = (int)((x - _lo) * _scale);
            bins[b > _lastBin ? _lastBin : b < 0 ? 0 : b]++;
        }
        Zeros += zeros;
        CentredSumSq += m2;
    }

    private void AddGeneric<T>(ReadOnlySpan<T> values, Func<T, double> convert)
    {
        Span<double> buffer = new double[Math.Min(ChunkValues, values.Length)];
        for (int start = 0; start < values.Length; start += buffer.Length)
        {
            int n = Math.Min(buffer.Length, values.Length - start);
            for (int i = 0; i < n; i++) buffer[i] = convert(values[start + i]);
            AddDoubles(buffer[..n]);
        }
    }

    private void AddDoubles(ReadOnlySpan<double> values)
    {
        long zeros = 0;
        double m2 = 0;
        var bins = Bins;
        foreach (double x in values)
        {
            if (x == 0) zeros++;
            if (!double.IsFinite(x)) continue;
            double d = x - _mean;
            m2 += d * d;
            int b = (int)((x - _lo) * _scale);
            bins[b > _lastBin ? _lastBin : b < 0 ? 0 : b]++;
        }
        Zeros += zeros;
        CentredSumSq += m2;
    }
}
