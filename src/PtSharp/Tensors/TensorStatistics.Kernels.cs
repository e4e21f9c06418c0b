using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace PtSharp.Tensors;

// The summation kernels behind TensorStatistics: per-dtype readers, SIMD loops for contiguous float32/64/16 and
// bfloat16 runs, and the compensated (Neumaier) accumulator they feed.
public sealed partial record TensorStatistics
{
    private static unsafe void AccumulateRun(DType dtype, byte* p, long count, long stride, int size, ref Accumulator acc)
    {
        long strideBytes = stride * size;
        if (stride == 1)
        {
            switch (dtype)
            {
                case DType.Float32: Float32Contiguous((float*)p, count, ref acc); return;
                case DType.Float64: Float64Contiguous((double*)p, count, ref acc); return;
                case DType.Float16: Float16Contiguous((Half*)p, count, ref acc); return;
                case DType.BFloat16: BFloat16Contiguous((ushort*)p, count, ref acc); return;
            }
        }
        switch (dtype)
        {
            case DType.Float32: Real(new F32(), p, count, strideBytes, ref acc); break;
            case DType.Float64: Real(new F64(), p, count, strideBytes, ref acc); break;
            case DType.Float16: Real(new F16(), p, count, strideBytes, ref acc); break;
            case DType.BFloat16: Real(new BF16(), p, count, strideBytes, ref acc); break;
            case DType.Int8 or DType.QInt8: Real(new I8(), p, count, strideBytes, ref acc); break;
            case DType.UInt8 or DType.QUInt8: Real(new U8(), p, count, strideBytes, ref acc); break;
            case DType.Bool: Real(new Bool(), p, count, strideBytes, ref acc); break;
            case DType.Int16: Real(new I16(), p, count, strideBytes, ref acc); break;
            case DType.UInt16: Real(new U16(), p, count, strideBytes, ref acc); break;
            case DType.Int32 or DType.QInt32: Real(new I32(), p, count, strideBytes, ref acc); break;
            case DType.UInt32: Real(new U32(), p, count, strideBytes, ref acc); break;
            case DType.Int64: Real(new I64(), p, count, strideBytes, ref acc); break;
            case DType.UInt64: Real(new U64(), p, count, strideBytes, ref acc); break;
            case DType.Complex32 or DType.Complex64 or DType.Complex128: Complex(dtype, p, count, strideBytes, ref acc); break;
            default: Real(new AnyReal(dtype), p, count, strideBytes, ref acc); break;
        }
    }

    // ---- accumulation ------------------------------------------------------------------------------------------

    /// <summary>Running totals; block sums are added with Neumaier compensation so long tensors stay accurate.</summary>
    private struct Accumulator
    {
        private double _sum, _sumC, _sumSq, _sumSqC, _sumIm, _sumImC;
        public double Min, Max;
        public long Nan, Inf;
        private bool _started;

        public void AddBlock(double sum, double sumSq, double min, double max)
        {
            if (!_started) { Min = double.PositiveInfinity; Max = double.NegativeInfinity; _started = true; }
            Neumaier(ref _sum, ref _sumC, sum);
            Neumaier(ref _sumSq, ref _sumSqC, sumSq);
            if (min < Min) Min = min;
            if (max > Max) Max = max;
        }

        public void AddImag(double sumIm) => Neumaier(ref _sumIm, ref _sumImC, sumIm);

        private static void Neumaier(ref double total, ref double compensation, double x)
        {
            double t = total + x;
            if (!double.IsFinite(t)) { total = t; return; }
            compensation += Math.Abs(total) >= Math.Abs(x) ? total - t + x : x - t + total;
            total = t;
        }

        public readonly TensorStatistics ToStatistics(bool complex)
        {
            static double Total(double s, double c) => double.IsFinite(s) ? s + c : s;
            bool anyFinite = _started && Min <= Max;
            return complex
                ? new TensorStatistics(Total(_sum, _sumC), Total(_sumSq, _sumSqC), null, null, Nan, Inf, Total(_sumIm, _sumImC))
                : new TensorStatistics(Total(_sum, _sumC), Total(_sumSq, _sumSqC), anyFinite ? Min : null, anyFinite ? Max : null, Nan, Inf, null);
        }
    }

    private unsafe interface IReader
    {
        double Read(byte* p);
    }

    private unsafe struct F32 : IReader { public readonly double Read(byte* p) => *(float*)p; }
    private unsafe struct F64 : IReader { public readonly double Read(byte* p) => *(double*)p; }
    private unsafe struct F16 : IReader { public readonly double Read(byte* p) => (double)*(Half*)p; }
    private unsafe struct BF16 : IReader { public readonly double Read(byte* p) => BitConverter.Int32BitsToSingle(*(ushort*)p << 16); }
    private unsafe struct I8 : IReader { public readonly double Read(byte* p) => *(sbyte*)p; }
    private unsafe struct U8 : IReader { public readonly double Read(byte* p) => *p; }
    private unsafe struct Bool : IReader { public readonly double Read(byte* p) => *p != 0 ? 1 : 0; }
    private unsafe struct I16 : IReader { public readonly double Read(byte* p) => *(short*)p; }
    private unsafe struct U16 : IReader { public readonly double Read(byte* p) => *(ushort*)p; }
    private unsafe struct I32 : IReader { public readonly double Read(byte* p) => *(int*)p; }
    private unsafe struct U32 : IReader { public readonly double Read(byte* p) => *(uint*)p; }
    private unsafe struct I64 : IReader { public readonly double Read(byte* p) => *(long*)p; }
    private unsafe struct U64 : IReader { public readonly double Read(byte* p) => *(ulong*)p; }
    private unsafe readonly struct AnyReal(DType dtype) : IReader { public double Read(byte* p) => ScalarDecoding.ToDouble(dtype, p); }

    /// <summary>Scalar path for any real dtype and any stride (in bytes).</summary>
    private static unsafe void Real<TReader>(TReader reader, byte* p, long count, long strideBytes, ref Accumulator acc)
        where TReader : struct, IReader
    {
        while (count > 0)
        {
            long n = Math.Min(count, BlockSize);
            double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (long i = 0; i < n; i++, p += strideBytes)
            {
                double x = reader.Read(p);
                if (double.IsFinite(x))
                {
                    sum += x;
                    sumSq += x * x;
                    if (x < min) min = x;
                    if (x > max) max = x;
                }
                else if (double.IsNaN(x)) acc.Nan++;
                else acc.Inf++;
            }
            acc.AddBlock(sum, sumSq, min, max);
            count -= n;
        }
    }

    private static unsafe void Complex(DType dtype, byte* p, long count, long strideBytes, ref Accumulator acc)
    {
        while (count > 0)
        {
            long n = Math.Min(count, BlockSize);
            double sum = 0, sumIm = 0, sumSq = 0;
            for (long i = 0; i < n; i++, p += strideBytes)
            {
                double re, im;
                switch (dtype)
                {
                    case DType.Complex64: re = ((float*)p)[0]; im = ((float*)p)[1]; break;
                    case DType.Complex128: re = ((double*)p)[0]; im = ((double*)p)[1]; break;
                    default: re = (double)((Half*)p)[0]; im = (double)((Half*)p)[1]; break;
                }
                if (double.IsNaN(re) || double.IsNaN(im)) acc.Nan++;
                else if (double.IsInfinity(re) || double.IsInfinity(im)) acc.Inf++;
                else
                {
                    sum += re;
                    sumIm += im;
                    sumSq += re * re + im * im;
                }
            }
            acc.AddBlock(sum, sumSq, double.PositiveInfinity, double.NegativeInfinity);
            acc.AddImag(sumIm);
            count -= n;
        }
    }

    // ---- vectorised contiguous paths ---------------------------------------------------------------------------

    private static unsafe void Float32Contiguous(float* p, long count, ref Accumulator acc)
    {
        int width = Vector<float>.Count;
        var expMask = new Vector<uint>(0x7F800000u);
        while (count > 0)
        {
            int n = (int)Math.Min(count, BlockSize);
            var s0 = Vector<double>.Zero; var s1 = Vector<double>.Zero;
            var q0 = Vector<double>.Zero; var q1 = Vector<double>.Zero;
            var lo = new Vector<double>(double.PositiveInfinity);
            var hi = new Vector<double>(double.NegativeInfinity);
            double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= n - width; i += width)
                {
                    var v = Unsafe.ReadUnaligned<Vector<float>>(p + i);
                    if (Vector.EqualsAny(Vector.AsVectorUInt32(v) & expMask, expMask))
                    {
                        for (int k = 0; k < width; k++) Scalar(p[i + k], ref sum, ref sumSq, ref min, ref max, ref acc);
                        continue;
                    }
                    Vector.Widen(v, out var a, out var b);
                    s0 += a; s1 += b;
                    q0 += a * a; q1 += b * b;
                    lo = Vector.Min(lo, Vector.Min(a, b));
                    hi = Vector.Max(hi, Vector.Max(a, b));
                }
            }
            for (; i < n; i++) Scalar(p[i], ref sum, ref sumSq, ref min, ref max, ref acc);
            Fold(s0 + s1, q0 + q1, lo, hi, ref sum, ref sumSq, ref min, ref max);
            acc.AddBlock(sum, sumSq, min, max);
            p += n;
            count -= n;
        }
    }

    private static unsafe void Float64Contiguous(double* p, long count, ref Accumulator acc)
    {
        int width = Vector<double>.Count;
        var expMask = new Vector<ulong>(0x7FF0000000000000ul);
        while (count > 0)
        {
            int n = (int)Math.Min(count, BlockSize);
            var s = Vector<double>.Zero;
            var q = Vector<double>.Zero;
            var lo = new Vector<double>(double.PositiveInfinity);
            var hi = new Vector<double>(double.NegativeInfinity);
            double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= n - width; i += width)
                {
                    var v = Unsafe.ReadUnaligned<Vector<double>>(p + i);
                    if (Vector.EqualsAny(Vector.AsVectorUInt64(v) & expMask, expMask))
                    {
                        for (int k = 0; k < width; k++) Scalar(p[i + k], ref sum, ref sumSq, ref min, ref max, ref acc);
                        continue;
                    }
                    s += v;
                    q += v * v;
                    lo = Vector.Min(lo, v);
                    hi = Vector.Max(hi, v);
                }
            }
            for (; i < n; i++) Scalar(p[i], ref sum, ref sumSq, ref min, ref max, ref acc);
            Fold(s, q, lo, hi, ref sum, ref sumSq, ref min, ref max);
            acc.AddBlock(sum, sumSq, min, max);
            p += n;
            count -= n;
        }
    }

    private static unsafe void Float16Contiguous(Half* p, long count, ref Accumulator acc)
    {
        // Half -> float is exact; convert a block at a time (vectorised) and reuse the float32 kernel.
        float* buffer = stackalloc float[BlockSize];
        while (count > 0)
        {
            int n = (int)Math.Min(count, BlockSize);
            TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(p, n), new Span<float>(buffer, n));
            Float32Contiguous(buffer, n, ref acc);
            p += n;
            count -= n;
        }
    }

    private static unsafe void BFloat16Contiguous(ushort* p, long count, ref Accumulator acc)
    {
        // bfloat16 is the top half of a float32: widen and shift (exact), then reuse the float32 kernel.
        uint* buffer = stackalloc uint[BlockSize];
        int width = Vector<ushort>.Count;
        while (count > 0)
        {
            int n = (int)Math.Min(count, BlockSize);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= n - width; i += width)
                {
                    Vector.Widen(Unsafe.ReadUnaligned<Vector<ushort>>(p + i), out var a, out var b);
                    Unsafe.WriteUnaligned(buffer + i, a << 16);
                    Unsafe.WriteUnaligned(buffer + i + width / 2, b << 16);
                }
            }
            for (; i < n; i++) buffer[i] = (uint)p[i] << 16;
            Float32Contiguous((float*)buffer, n, ref acc);
            p += n;
            count -= n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(double x, ref double sum, ref double sumSq, ref double min, ref double max, ref Accumulator acc)
    {
        if (double.IsFinite(x))
        {
            sum += x;
            sumSq += x * x;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        else if (double.IsNaN(x)) acc.Nan++;
        else acc.Inf++;
    }

    private static void Fold(Vector<double> s, Vector<double> q, Vector<double> lo, Vector<double> hi,
        ref double sum, ref double sumSq, ref double min, ref double max)
    {
        sum += Vector.Sum(s);
        sumSq += Vector.Sum(q);
        for (int k = 0; k < Vector<double>.Count; k++)
        {
            if (lo[k] < min) min = lo[k];
            if (hi[k] > max) max = hi[k];
        }
    }
}
