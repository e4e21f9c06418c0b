using System.Buffers;
using PtSharp.Tensors;

namespace PtSharp.Diff;

/// <summary>
/// Compares two state dicts: keys only in one of them, dtype and shape changes, and for every shared key the
/// largest absolute and relative difference and whether all values are equal within tolerance. Two values count
/// as equal when both are NaN, when they compare equal (so <c>-0 == 0</c> and infinities of the same sign), or when
/// <c>|a − b| ≤ atol + rtol·|b|</c> (torch.allclose's rule, with B as the reference). Relative differences are
/// <c>|a − b| / |b|</c> (infinite where b is 0 and a is not). Complex values are compared as real and imaginary
/// parts, quantized tensors by their dequantized values, integers exactly.
/// </summary>
public static class CheckpointDiff
{
    private const int ChunkValues = 1 << 16;

    /// <summary>Compares <paramref name="a"/> with <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">A tolerance is negative or NaN.</exception>
    public static DiffReport Compare(IReadOnlyList<NamedTensor> a, IReadOnlyList<NamedTensor> b, DiffOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        options ??= new DiffOptions();
        if (!(options.Atol >= 0) || !(options.Rtol >= 0)) throw new ArgumentException("atol and rtol must be non-negative numbers", nameof(options));
        var inB = new Dictionary<string, PtTensor>(b.Count, StringComparer.Ordinal);
        foreach (var nt in b) inB.TryAdd(nt.Name, nt.Tensor);
        var inA = new HashSet<string>(a.Select(t => t.Name), StringComparer.Ordinal);
        var report = new DiffReport(options);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var nt in a)
        {
            if (!seen.Add(nt.Name)) continue;
            if (!inB.TryGetValue(nt.Name, out var other)) { report.OnlyInA.Add(nt.Name); continue; }
            report.Tensors.Add(CompareTensors(nt.Name, nt.Tensor, other, options));
        }
        foreach (var nt in b)
            if (!inA.Contains(nt.Name) && !report.OnlyInB.Contains(nt.Name)) report.OnlyInB.Add(nt.Name);
        return report;
    }

    /// <summary>Compares two tensors (see <see cref="CheckpointDiff"/> for the rules).</summary>
    public static TensorDiff CompareTensors(string name, PtTensor a, PtTensor b, DiffOptions options)
    {
        var d = new TensorDiff(name, a.DType, b.DType, a.ShapeArray, b.ShapeArray)
        {
            IgnoreDType = options.IgnoreDType,
        };
        if (d.ShapeChanged) { d.Note = "shapes differ; values not compared"; d.Mismatched = -1; return d; }
        if (a.IsSparse || b.IsSparse)
        {
            string? diff = a.IsSparse && b.IsSparse ? TensorEquality.Difference(a, b) : "sparse against dense";
            d.Note = diff is null ? "sparse; components equal" : "sparse: " + diff;
            d.Elements = a.ElementCount;
            d.Mismatched = diff is null ? 0 : -1;
            return d;
        }
        bool dataA = a.ElementCount == 0 || a.Storage is { HasData: true };
        bool dataB = b.ElementCount == 0 || b.Storage is { HasData: true };
        if (!dataA || !dataB)
        {
            d.Note = dataA == dataB ? "no data (meta); values not compared" : "one side has no data";
            d.Mismatched = dataA == dataB ? 0 : -1;
            return d;
        }
        d.Elements = a.ElementCount;
        if (a.ElementCount == 0) return d;
        if (IsInteger(a.DType) && IsInteger(b.DType) && a.Quantization is null && b.Quantization is null) CompareIntegers(a, b, d, options);
        else if (ValueReader.IsDecodable(a.DType) && ValueReader.IsDecodable(b.DType) || a.Quantization is not null || b.Quantization is not null) CompareReals(a, b, d, options);
        else
        {
            string? diff = TensorEquality.Difference(a, b);
            d.Note = "packed dtype; compared byte for byte";
            d.Mismatched = diff is null ? 0 : -1;
        }
        return d;
    }

    private static bool IsInteger(DType t) => t is DType.Int8 or DType.Int16 or DType.Int32 or DType.Int64
        or DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64 or DType.Bool;

    private static void CompareReals(PtTensor a, PtTensor b, TensorDiff d, DiffOptions o)
    {
        ValueReader ra, rb;
        try
        {
            ra = new ValueReader(a);
            rb = new ValueReader(b);
        }
        catch (NotSupportedException e)
        {
            d.Note = e.Message;
            d.Mismatched = -1;
            return;
        }
        using (ra)
        using (rb)
        {
            if (ra.Components != rb.Components)
            {
                d.Note = "complex against real; imaginary parts not compared";
            }
            int components = Math.Min(ra.Components, rb.Components);
            bool sameType = a.DType == b.DType && a.Quantization is null && b.Quantization is null;
            DType? common = !o.IgnoreDType || a.Quantization is not null || b.Quantization is not null ? null
                : CommonDType.For(a.DType, b.DType);
            var va = ArrayPool<double>.Shared.Rent(ChunkValues * 2);
            var vb = ArrayPool<double>.Shared.Rent(ChunkValues * 2);
            try
            {
                long remaining = a.ElementCount;
                while (remaining > 0)
                {
                    int elements = (int)Math.Min(remaining, ChunkValues);
                    remaining -= elements;
                    var sa = va.AsSpan(0, elements * ra.Components);
                    var sb = vb.AsSpan(0, elements * rb.Components);
                    // Identical bytes of identical types are equal values: skip decoding them.
                    var bytesA = ra.Read(sa, decode: !sameType);
                    var bytesB = rb.Read(sb, decode: !sameType);
                    if (sameType)
                    {
                        if (bytesA.SequenceEqual(bytesB)) continue;
                        ra.Decode(bytesA, sa);
                        rb.Decode(bytesB, sb);
                    }
                    if (common is DType target)
                    {
                        if (target != a.DType) CommonDType.Round(sa, target);
                        if (target != b.DType) CommonDType.Round(sb, target);
                    }
                    for (int i = 0; i < elements; i++)
                        for (int c = 0; c < components; c++)
                            Accumulate(sa[i * ra.Components + c], sb[i * rb.Components + c], d, o);
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(va);
                ArrayPool<double>.Shared.Return(vb);
            }
        }
    }

    private static void Accumulate(double x, double y, TensorDiff d, DiffOptions o)
    {
        if (x == y) return;
        bool nx = double.IsNaN(x), ny = double.IsNaN(y);
        if (nx && ny) return;
        if (nx || ny) { d.Mismatched++; d.NaNMismatches++; return; }
        double abs = Math.Abs(x - y);
        double rel = y == 0 || double.IsInfinity(abs) ? double.PositiveInfinity : abs / Math.Abs(y);
        if (abs > d.MaxAbsDiff) d.MaxAbsDiff = abs;
        if (rel > d.MaxRelDiff) d.MaxRelDiff = rel;
        if (!(abs <= o.Atol + o.Rtol * Math.Abs(y))) d.Mismatched++;
    }

    private static unsafe void CompareIntegers(PtTensor a, PtTensor b, TensorDiff d, DiffOptions o)
    {
        var la = new LogicalBytes(a);
        var lb = new LogicalBytes(b);
        int sa = a.DType.ElementSize(), sb = b.DType.ElementSize();
        var bufA = la.IsZeroCopy ? null : ArrayPool<byte>.Shared.Rent(ChunkValues * 8);
        var bufB = lb.IsZeroCopy ? null : ArrayPool<byte>.Shared.Rent(ChunkValues * 8);
        try
        {
            while (la.Remaining > 0)
            {
                var x = la.Next(ChunkValues * sa, bufA);
                int n = x.Length / sa;
                var y = lb.Next(n * sb, bufB);
                if (a.DType == b.DType && x.SequenceEqual(y)) continue;
                fixed (byte* px = x, py = y)
                {
                    for (int i = 0; i < n; i++)
                    {
                        Int128 u = ReadInteger(a.DType, px + i * sa), v = ReadInteger(b.DType, py + i * sb);
                        if (u == v) continue;
                        double abs = (double)Int128.Abs(u - v);
                        double rel = v == 0 ? double.PositiveInfinity : abs / Math.Abs((double)v);
                        if (abs > d.MaxAbsDiff) d.MaxAbsDiff = abs;
                        if (rel > d.MaxRelDiff) d.MaxRelDiff = rel;
                        if (!(abs <= o.Atol + o.Rtol * Math.Abs((double)v))) d.Mismatched++;
                    }
                }
            }
        }
        finally
        {
            if (bufA is not null) ArrayPool<byte>.Shared.Return(bufA);
            if (bufB is not null) ArrayPool<byte>.Shared.Return(bufB);
        }
    }

    private static unsafe Int128 ReadInteger(DType t, byte* p) => t switch
    {
        DType.Int8 => *(sbyte*)p,
        DType.UInt8 => *p,
        DType.Bool => *p != 0 ? 1 : 0,
        DType.Int16 => *(short*)p,
        DType.UInt16 => *(ushort*)p,
        DType.Int32 => *(int*)p,
        DType.UInt32 => *(uint*)p,
        DType.Int64 => *(long*)p,
        DType.UInt64 => *(ulong*)p,
        _ => 0,
    };
}

/// <summary>Tolerances for <see cref="CheckpointDiff"/>.</summary>
public sealed class DiffOptions
{
    /// <summary>Absolute tolerance (default 0: values must be equal).</summary>
    public double Atol { get; set; }

    /// <summary>Relative tolerance, as a fraction of B's value (default 0).</summary>
    public double Rtol { get; set; }

    /// <summary>
    /// A dtype change alone does not make a tensor different, and values are compared after rounding the wider
    /// floating dtype to the narrower one when the narrower's values are a subset of the wider's (float32 against
    /// float16 or bfloat16, float64 against float32...), as <c>tensor.to(dtype)</c> rounds.
    /// </summary>
    public bool IgnoreDType { get; set; }
}

/// <summary>The comparison of one key present in both state dicts.</summary>
public sealed class TensorDiff
{
    internal TensorDiff(string name, DType dtypeA, DType dtypeB, long[] shapeA, long[] shapeB)
    {
        Name = name;
        DTypeA = dtypeA;
        DTypeB = dtypeB;
        ShapeA = shapeA;
        ShapeB = shapeB;
    }

    /// <summary>The key.</summary>
    public string Name { get; }
    /// <summary>dtype in A.</summary>
    public DType DTypeA { get; }
    /// <summary>dtype in B.</summary>
    public DType DTypeB { get; }
    /// <summary>Shape in A.</summary>
    public IReadOnlyList<long> ShapeA { get; }
    /// <summary>Shape in B.</summary>
    public IReadOnlyList<long> ShapeB { get; }
    /// <summary>True when the dtypes differ (values are still compared).</summary>
    public bool DTypeChanged => DTypeA != DTypeB;
    /// <summary>True when the shapes differ (values are then not compared).</summary>
    public bool ShapeChanged => !ShapeA.SequenceEqual(ShapeB);
    /// <summary>Elements compared.</summary>
    public long Elements { get; internal set; }
    /// <summary>Values outside tolerance (−1 when the tensors could not be compared value by value and differ).</summary>
    public long Mismatched { get; internal set; }
    /// <summary>Values where exactly one side is NaN (counted in <see cref="Mismatched"/>).</summary>
    public long NaNMismatches { get; internal set; }
    /// <summary>Largest |a − b| (NaN pairs excluded).</summary>
    public double MaxAbsDiff { get; internal set; }
    /// <summary>Largest |a − b| / |b|.</summary>
    public double MaxRelDiff { get; internal set; }
    /// <summary>Remarks (not compared, sparse, packed...).</summary>
    public string? Note { get; internal set; }
    /// <summary>
    /// True when dtype (unless <see cref="DiffOptions.IgnoreDType"/>) and shape match and every value is equal
    /// within tolerance.
    /// </summary>
    public bool Equal => (IgnoreDType || !DTypeChanged) && !ShapeChanged && Mismatched == 0;

    internal bool IgnoreDType { get; init; }
    /// <summary>True when every value is equal within tolerance, whatever the dtypes.</summary>
    public bool ValuesEqual => !ShapeChanged && Mismatched == 0;

    /// <inheritdoc/>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Name}: {(Equal ? "equal" : "different")} (max abs diff {MaxAbsDiff:G6}, {Mismatched} of {Elements} mismatched)");
}

/// <summary>The result of <see cref="CheckpointDiff.Compare"/>.</summary>
public sealed class DiffReport
{
    internal DiffReport(DiffOptions options) { Options = options; }

    /// <summary>The tolerances used.</summary>
    public DiffOptions Options { get; }
    /// <summary>Keys only in A, in A's order.</summary>
    public List<string> OnlyInA { get; } = [];
    /// <summary>Keys only in B, in B's order.</summary>
    public List<string> OnlyInB { get; } = [];
    /// <summary>Shared keys, in A's order.</summary>
    public List<TensorDiff> Tensors { get; } = [];
    /// <summary>True when both have the same keys and every shared tensor is <see cref="TensorDiff.Equal"/>.</summary>
    public bool Equal => OnlyInA.Count == 0 && OnlyInB.Count == 0 && Tensors.All(t => t.Equal);

    /// <inheritdoc/>
    public override string ToString() =>
        $"diff: {(Equal ? "equal" : "different")} ({Tensors.Count} shared, {OnlyInA.Count} only in A, {OnlyInB.Count} only in B)";
}
