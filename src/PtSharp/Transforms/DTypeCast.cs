using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Transforms;

/// <summary>
/// Casts floating-point tensors to bfloat16, float16, float32, float8_e4m3fn or float8_e5m2 with the same bits
/// torch's CPU <c>tensor.to(dtype)</c> gives: round-to-nearest-even, IEEE subnormals, overflow to inf (float16,
/// bfloat16, float8_e5m2) or NaN (float8_e4m3fn, which has no inf), and torch's NaN patterns.
/// </summary>
/// <remarks>
/// NaN bit patterns are where torch itself is inconsistent, and PtSharp follows torch 2.x on x86-64: float32 →
/// bfloat16 gives 0xFFFF (torch's vectorized kernel) when the tensor's innermost elements are adjacent in memory and
/// 0x7FC0 (its scalar kernel) otherwise; float64 → bfloat16 gives 0xFFFF in whole blocks of 16 along the innermost
/// run and 0x7FC0 for the rest (for tensors torch splits across threads, above 32,768 elements, which NaNs fall in
/// the remainder depends on torch's thread count); other sources give 0x7FC0. float16 results keep the NaN's sign and
/// top payload bits (torch 1.13 wrote 0x7E00 with the sign instead). Integer, bool, complex and quantized tensors are
/// never cast, nor are float8_e8m0fnu, the fnuz float8 types and float4.
/// </remarks>
public static class DTypeCast
{
    /// <summary>The dtypes a cast can produce.</summary>
    public static IReadOnlyList<DType> Targets { get; } = [DType.BFloat16, DType.Float16, DType.Float32, DType.Float8E4M3FN, DType.Float8E5M2];

    /// <summary>Parses a target name: <c>bf16</c>/<c>bfloat16</c>, <c>fp16</c>/<c>float16</c>/<c>half</c>, <c>fp32</c>/<c>float32</c>/<c>float</c>, <c>fp8_e4m3fn</c>/<c>float8_e4m3fn</c>, <c>fp8_e5m2</c>/<c>float8_e5m2</c>.</summary>
    public static bool TryParseTarget(string name, out DType target)
    {
        target = name.ToLowerInvariant() switch
        {
            "bf16" or "bfloat16" => DType.BFloat16,
            "fp16" or "f16" or "float16" or "half" => DType.Float16,
            "fp32" or "f32" or "float32" or "float" => DType.Float32,
            "fp8_e4m3fn" or "float8_e4m3fn" or "e4m3fn" => DType.Float8E4M3FN,
            "fp8_e5m2" or "float8_e5m2" or "e5m2" => DType.Float8E5M2,
            _ => (DType)(-1),
        };
        return (int)target >= 0;
    }

    /// <summary>True for the source dtypes a cast converts: float64, float32, float16, bfloat16, float8_e4m3fn and float8_e5m2.</summary>
    public static bool CanCast(DType source) =>
        source is DType.Float64 or DType.Float32 or DType.Float16 or DType.BFloat16 or DType.Float8E4M3FN or DType.Float8E5M2;

    /// <summary>
    /// A new contiguous tensor holding <paramref name="tensor"/>'s values converted to <paramref name="target"/>
    /// (<paramref name="tensor"/> itself when it already has that dtype). Lazy neg bits are resolved first.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not one of <see cref="Targets"/>, or the tensor's dtype cannot be cast.</exception>
    /// <exception cref="InvalidOperationException">The tensor is sparse or has no data.</exception>
    public static unsafe PtTensor Cast(PtTensor tensor, DType target)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Targets.Contains(target)) throw new ArgumentException($"{target.Name()} is not a cast target (bfloat16, float16, float32, float8_e4m3fn, float8_e5m2)", nameof(target));
        if (tensor.DType == target) return tensor;
        if (!CanCast(tensor.DType)) throw new ArgumentException($"{tensor.DType.Name()} tensors are not cast", nameof(tensor));
        if (tensor.IsSparse) throw new InvalidOperationException($"{tensor} is {tensor.Layout}; sparse tensors are not cast");
        long n = tensor.ElementCount;
        long outBytes = checked(n * target.ElementSize());
        var output = outBytes == 0 ? PinnedBytes.Empty : PinnedBytes.Allocate(outBytes);
        if (n > 0)
        {
            var nan = new NaNRule(tensor);
            var reader = new LogicalBytes(tensor);
            int inSize = tensor.DType.ElementSize();
            int outSize = target.ElementSize();
            const int ChunkElements = 1 << 16;
            byte[]? scratch = reader.IsZeroCopy ? null : ArrayPool<byte>.Shared.Rent(ChunkElements * inSize);
            uint[] floats = ArrayPool<uint>.Shared.Rent(ChunkElements);
            try
            {
                long done = 0;
                while (reader.Remaining > 0)
                {
                    var src = reader.Next(ChunkElements * inSize, scratch);
                    int count = src.Length / inSize;
                    var dst = new Span<byte>(output.Pointer + done * outSize, count * outSize);
                    ConvertChunk(tensor.DType, src, target, dst, floats.AsSpan(0, count), nan, done);
                    done += count;
                }
            }
            finally
            {
                if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
                ArrayPool<uint>.Shared.Return(floats);
            }
        }
        var storage = new PtStorage("", target, outBytes, "cpu", null, output, 0, bigEndian: false);
        return PtTensor.FromStorage(storage, target, tensor.ShapeArray, PtTensor.ContiguousStrides(tensor.ShapeArray), 0);
    }

    /// <summary>
    /// Casts the floating tensors of a state dict (only those whose names match one of
    /// <see cref="CastOptions.Include"/>, when given). Tensors that share a view are cast once and stay shared.
    /// </summary>
    /// <exception cref="ArgumentException">The target is not a cast target, or a pattern is not a valid regular expression.</exception>
    public static CastResult Apply(IReadOnlyList<NamedTensor> tensors, CastOptions options)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(options);
        if (!Targets.Contains(options.Target)) throw new ArgumentException($"{options.Target.Name()} is not a cast target", nameof(options));
        var include = options.Include.Select(p => KeyTransform.Compile(p, "--dtype-include")).ToList();
        var includeHits = new int[include.Count];
        var output = new List<NamedTensor>(tensors.Count);
        var cast = new List<string>();
        var untouched = new List<(string, string)>();
        var memo = new Dictionary<PtTensor, PtTensor>(ReferenceEqualityComparer.Instance);
        var byView = new Dictionary<(PtStorage, long, DType, string, string, bool), PtTensor>();
        foreach (var nt in tensors)
        {
            var t = nt.Tensor;
            bool selected = include.Count == 0;
            for (int i = 0; i < include.Count; i++)
                if (include[i].IsMatch(nt.Name)) { includeHits[i]++; selected = true; }
            if (!selected) { output.Add(nt); untouched.Add((nt.Name, "not matched by --dtype-include")); continue; }
            string? reason = t.DType == options.Target ? null
                : t.IsSparse ? "sparse"
                : t.DType.IsQuantized() ? "quantized"
                : t.DType.IsComplex() ? "complex"
                : t.DType == DType.Bool ? "bool"
                : !t.DType.IsFloatingPoint() ? "integer"
                : !CanCast(t.DType) ? $"{t.DType.Name()} has no cast rule"
                : t.ElementCount > 0 && t.Storage is not { HasData: true } ? "no data"
                : null;
            if (t.DType == options.Target) { output.Add(nt); continue; }
            if (reason is not null) { output.Add(nt); untouched.Add((nt.Name, reason)); continue; }
            PtTensor result;
            if (memo.TryGetValue(t, out var done)) result = done;
            else
            {
                var key = (t.Storage!, t.StorageOffset, t.DType, string.Join(",", t.ShapeArray), string.Join(",", t.StrideArray), t.IsNeg);
                if (t.Storage is not null && byView.TryGetValue(key, out var shared)) result = shared;
                else
                {
                    result = Cast(t, options.Target);
                    if (t.Storage is not null) byView[key] = result;
                }
                memo[t] = result;
            }
            output.Add(new NamedTensor(nt.Name, result));
            cast.Add(nt.Name);
        }
        var warnings = new List<string>();
        for (int i = 0; i < include.Count; i++)
            if (includeHits[i] == 0) warnings.Add($"--dtype-include '{options.Include[i]}' matched no key");
        return new CastResult(output, cast, untouched, options.Include.Select((p, i) => new KeyRuleReport("--dtype-include " + p, includeHits[i])).ToList(), warnings);
    }

    private static unsafe void ConvertChunk(DType from, ReadOnlySpan<byte> src, DType to, Span<byte> dst, Span<uint> floats, NaNRule nan, long firstIndex)
    {
        int n = floats.Length;
        // Fast paths for the common float32 sources.
        if (from == DType.Float32 && to == DType.BFloat16 && nan.Uniform is ushort uniform)
        {
            FloatBits.FloatToBFloat16(MemoryMarshal.Cast<byte, uint>(src), MemoryMarshal.Cast<byte, ushort>(dst), uniform);
            return;
        }
        if (from == DType.Float32 && to == DType.Float16)
        {
            var s = MemoryMarshal.Cast<byte, float>(src);
            var d = MemoryMarshal.Cast<byte, Half>(dst);
            TensorPrimitives.ConvertToHalf(s, d);
            return;
        }
        // Decode to float32 bits with torch's intermediate semantics.
        switch (from)
        {
            case DType.Float32: MemoryMarshal.Cast<byte, uint>(src).CopyTo(floats); break;
            case DType.Float64: { var s = MemoryMarshal.Cast<byte, double>(src); for (int i = 0; i < n; i++) floats[i] = FloatBits.DoubleToFloat(s[i]); break; }
            case DType.Float16: { var s = MemoryMarshal.Cast<byte, ushort>(src); for (int i = 0; i < n; i++) floats[i] = FloatBits.HalfToFloat(s[i]); break; }
            case DType.BFloat16: { var s = MemoryMarshal.Cast<byte, ushort>(src); for (int i = 0; i < n; i++) floats[i] = FloatBits.BFloat16ToFloat(s[i]); break; }
            case DType.Float8E4M3FN: for (int i = 0; i < n; i++) floats[i] = FloatBits.E4M3FnToFloat(src[i]); break;
            case DType.Float8E5M2: for (int i = 0; i < n; i++) floats[i] = FloatBits.E5M2ToFloat(src[i]); break;
            default: throw new ArgumentException($"{from.Name()} tensors are not cast");
        }
        switch (to)
        {
            case DType.Float32: floats.CopyTo(MemoryMarshal.Cast<byte, uint>(dst)); break;
            case DType.Float16: { var d = MemoryMarshal.Cast<byte, ushort>(dst); for (int i = 0; i < n; i++) d[i] = FloatBits.FloatToHalf(floats[i]); break; }
            case DType.BFloat16:
                {
                    var d = MemoryMarshal.Cast<byte, ushort>(dst);
                    if (nan.Uniform is ushort u) FloatBits.FloatToBFloat16(floats, d, u);
                    else
                    {
                        for (int i = 0; i < n; i++)
                        {
                            uint f = floats[i];
                            d[i] = (f & 0x7FFFFFFF) > 0x7F800000 ? nan.For(firstIndex + i) : FloatBits.FloatToBFloat16(f, 0);
                        }
                    }
                    break;
                }
            case DType.Float8E4M3FN: for (int i = 0; i < n; i++) dst[i] = FloatBits.FloatToE4M3Fn(floats[i]); break;
            case DType.Float8E5M2: for (int i = 0; i < n; i++) dst[i] = FloatBits.FloatToE5M2(floats[i]); break;
        }
    }

    /// <summary>
    /// Which bfloat16 NaN torch writes for an element, by where torch's kernels would process it: float32 sources
    /// go through the vectorized kernel (tails included) when the innermost run is contiguous; float64 sources are
    /// vectorized in blocks of 16 along the innermost run, the remainder scalar; everything else is scalar.
    /// </summary>
    private sealed class NaNRule
    {
        private readonly PtTensor _t;
        private readonly bool _dense;
        private readonly long _run;      // length of torch's innermost (coalesced) loop
        private readonly bool _unitStride;

        public NaNRule(PtTensor t)
        {
            _t = t;
            _dense = IsDense(t);
            (_run, _unitStride) = InnerRun(t);
            if (_dense) { _run = t.ElementCount; _unitStride = true; }
            Uniform = t.DType switch
            {
                DType.Float32 => _unitStride ? FloatBits.BFloat16VectorNaN : FloatBits.BFloat16ScalarNaN,
                DType.Float64 when !_unitStride || _run < 16 => FloatBits.BFloat16ScalarNaN,
                DType.Float64 => null,
                _ => FloatBits.BFloat16ScalarNaN,
            };
        }

        /// <summary>The NaN pattern when it is the same for every element, else <see langword="null"/>.</summary>
        public ushort? Uniform { get; }

        public ushort For(long logicalIndex)
        {
            long position = _dense ? MemoryIndex(logicalIndex) : logicalIndex % _run;
            return position < _run - _run % 16 ? FloatBits.BFloat16VectorNaN : FloatBits.BFloat16ScalarNaN;
        }

        private long MemoryIndex(long logicalIndex)
        {
            long offset = 0;
            for (int d = _t.Rank - 1; d >= 0; d--)
            {
                long size = _t.ShapeArray[d];
                offset += logicalIndex % size * _t.StrideArray[d];
                logicalIndex /= size;
            }
            return offset;
        }

        /// <summary>Dense: the elements fill a block of memory without gaps or overlap, in some order of the dimensions.</summary>
        private static bool IsDense(PtTensor t)
        {
            var dims = Enumerable.Range(0, t.Rank).Where(d => t.ShapeArray[d] != 1).OrderBy(d => t.StrideArray[d]).ToList();
            long expected = 1;
            foreach (int d in dims)
            {
                if (t.StrideArray[d] != expected) return false;
                expected *= t.ShapeArray[d];
            }
            return true;
        }

        /// <summary>The innermost logical run torch loops over, coalescing outer dimensions that continue it in memory.</summary>
        private static (long Run, bool UnitStride) InnerRun(PtTensor t)
        {
            var dims = Enumerable.Range(0, t.Rank).Where(d => t.ShapeArray[d] != 1).ToList();
            if (dims.Count == 0) return (1, true);
            int last = dims[^1];
            if (t.StrideArray[last] != 1) return (t.ShapeArray[last], false);
            long run = t.ShapeArray[last];
            long next = t.ShapeArray[last];
            for (int k = dims.Count - 2; k >= 0; k--)
            {
                int d = dims[k];
                if (t.StrideArray[d] != next) break;
                run *= t.ShapeArray[d];
                next *= t.ShapeArray[d];
            }
            return (run, true);
        }
    }
}

/// <summary>Options for <see cref="DTypeCast.Apply"/>.</summary>
public sealed class CastOptions
{
    /// <summary>The dtype to cast floating tensors to (one of <see cref="DTypeCast.Targets"/>).</summary>
    public DType Target { get; set; } = DType.BFloat16;

    /// <summary>Regular expressions; when any is given only keys matching one of them are cast (e.g. to keep norms in float32).</summary>
    public IList<string> Include { get; } = [];
}

/// <summary>The outcome of <see cref="DTypeCast.Apply"/>.</summary>
/// <param name="Tensors">The state dict with cast tensors in place, in the input order.</param>
/// <param name="Cast">Names whose tensor was cast.</param>
/// <param name="Untouched">Names left as they were, with the reason (not matched, integer, bool, quantized...); tensors already of the target dtype are not listed.</param>
/// <param name="Rules">How many keys each <c>--dtype-include</c> pattern matched.</param>
/// <param name="Warnings">Patterns that matched nothing.</param>
public sealed record CastResult(
    IReadOnlyList<NamedTensor> Tensors,
    IReadOnlyList<string> Cast,
    IReadOnlyList<(string Name, string Reason)> Untouched,
    IReadOnlyList<KeyRuleReport> Rules,
    IReadOnlyList<string> Warnings);
