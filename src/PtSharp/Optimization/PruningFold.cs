using System.Buffers;
using System.Runtime.InteropServices;
using PtSharp.Conversion;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Transforms;
using PtSharp.Writing;

namespace PtSharp.Optimization;

/// <summary>
/// What <c>torch.nn.utils.prune.remove</c> does, on a state dict: every <c>X_orig</c> with a matching
/// <c>X_mask</c> becomes <c>X = X_orig * X_mask</c> (computed in <c>X_orig</c>'s dtype), in <c>X_orig</c>'s place,
/// and both are dropped, so the state dict loads into the plain model.
/// </summary>
public static class PruningFold
{
    /// <summary>
    /// The state-dict view with pruning folded: pairs replaced by their product, every other tensor as it was.
    /// The products are computed now and held in memory; the other tensors are the originals (valid while their
    /// file is open).
    /// </summary>
    /// <param name="stateDict">A state dict, e.g. <see cref="PtFile.StateDict"/> of a file torch or <c>pt prune --keep-mask</c> pruned.</param>
    /// <param name="folded">The names of the tensors that were folded (<c>fc.weight</c>).</param>
    public static IReadOnlyList<NamedTensor> Fold(IReadOnlyList<NamedTensor> stateDict, out IReadOnlyList<string> folded)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var names = new List<string>();
        var result = Transform(stateDict, (name, orig, mask) =>
        {
            names.Add(name);
            var product = new FoldedProduct(orig, mask);
            var bytes = orig.ByteCount == 0 ? PinnedBytes.Empty : PinnedBytes.Allocate(orig.ByteCount);
            int at = 0;
            product.Produce(chunk => { chunk.CopyTo(bytes.Array.AsSpan(at)); at += chunk.Length; });
            var storage = new PtStorage("", orig.DType, bytes.Length, "cpu", null, bytes, 0, bigEndian: false) { SwapUnit = orig.DType.SwapUnit() };
            return PtTensor.FromStorage(storage, orig.DType, [.. orig.Shape], PtTensor.ContiguousStrides([.. orig.Shape]), 0);
        }, out _);
        folded = names;
        return result;
    }

    /// <summary>Folds the pruning of <paramref name="input"/> into <paramref name="output"/> (a .pt state dict), computing each product while it is written.</summary>
    /// <exception cref="PtFormatException">The input cannot be read.</exception>
    /// <exception cref="PtWriteException">The output cannot be written.</exception>
    /// <exception cref="IOException">Reading or writing failed.</exception>
    public static PruneReport FoldFile(string input, string output, PtLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("folding writes a .pt file (convert it with pt convert afterwards)");
        using var source = StateDictSource.Open(input, new StateDictSourceOptions { PtOptions = options });
        var report = new PruneReport();
        var products = new List<(string Name, PtTensor Orig, FoldedProduct Product)>();
        var tensors = Transform(source.Tensors, (name, orig, mask) =>
        {
            var product = new FoldedProduct(orig, mask);
            products.Add((name, orig, product));
            return ComputedTensor.Create(orig.DType, [.. orig.Shape], product.Produce);
        }, out var notes);
        report.Notes.AddRange(notes);
        if (products.Count == 0) report.Notes.Add("nothing to fold: no X_orig with a matching X_mask");
        var dict = new PyDict("collections.OrderedDict");
        foreach (var nt in tensors) dict.Set(nt.Name, nt.Tensor.IsParameter ? nt.Tensor.Detach() : nt.Tensor);
        if (source.PtFile?.Root is PyDict { Attributes: { } attributes }) dict.Attributes = attributes;
        OutputCheck.Save(output, dict);
        report.BytesBefore = source.Tensors.Sum(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount);
        report.BytesAfter = tensors.Sum(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount);
        foreach (var (name, orig, product) in products) report.Tensors.Add(new PrunedTensor(name, orig.ElementCount, product.Pruned, product.Zeros));
        return report;
    }

    private delegate PtTensor Folder(string name, PtTensor orig, PtTensor mask);

    private static List<NamedTensor> Transform(IReadOnlyList<NamedTensor> stateDict, Folder fold, out List<string> notes)
    {
        notes = [];
        var byName = new Dictionary<string, PtTensor>(StringComparer.Ordinal);
        foreach (var nt in stateDict) byName.TryAdd(nt.Name, nt.Tensor);
        var masks = new HashSet<string>(StringComparer.Ordinal);
        var pairs = new Dictionary<string, PtTensor>(StringComparer.Ordinal);
        foreach (var nt in stateDict)
        {
            if (!nt.Name.EndsWith("_orig", StringComparison.Ordinal)) continue;
            string name = nt.Name[..^5];
            if (!byName.TryGetValue(name + "_mask", out var mask)) continue;
            string? problem = !FloatReader.CanRead(nt.Tensor.DType) ? $"{nt.Name} is {nt.Tensor.DType.Name()}"
                : !FloatReader.CanRead(mask.DType) ? $"{name}_mask is {mask.DType.Name()}"
                : !nt.Tensor.Shape.SequenceEqual(mask.Shape) ? $"{nt.Name} and {name}_mask differ in shape"
                : byName.ContainsKey(name) ? $"{name} exists beside {nt.Name}"
                : null;
            if (problem is not null) { notes.Add($"not folded: {problem}"); continue; }
            pairs[nt.Name] = mask;
            masks.Add(name + "_mask");
        }
        var result = new List<NamedTensor>(stateDict.Count);
        foreach (var nt in stateDict)
        {
            if (masks.Contains(nt.Name)) continue;
            if (pairs.TryGetValue(nt.Name, out var mask))
            {
                string name = nt.Name[..^5];
                result.Add(new NamedTensor(name, fold(name, nt.Tensor, mask)));
            }
            else result.Add(nt);
        }
        return result;
    }

    /// <summary><c>orig * mask</c> in orig's dtype, computed chunk by chunk.</summary>
    private sealed class FoldedProduct(PtTensor orig, PtTensor mask)
    {
        public long Zeros { get; private set; }
        public long Pruned { get; private set; }

        public void Produce(Action<ReadOnlySpan<byte>> sink)
        {
            using var masks = new FloatReader(mask);
            var raw = new LogicalBytes(orig);
            int size = orig.DType.ElementSize();
            byte[] scratch = ArrayPool<byte>.Shared.Rent(FloatReader.ChunkElements * size);
            long zeros = 0, pruned = 0;
            try
            {
                ComputedTensor.InChunks(sink, buffer =>
                {
                    var m = masks.Next();
                    int n = m.Length;
                    if (n == 0) return 0;
                    var output = buffer[..(n * size)];
                    raw.Next(n * size, scratch).CopyTo(output);
                    foreach (float x in m) if (x == 0) pruned++;
                    zeros += Multiply(output, m);
                    return n * size;
                });
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
            Zeros = zeros;
            Pruned = pruned;
        }

        private long Multiply(Span<byte> values, ReadOnlySpan<float> m)
        {
            long zeros = 0;
            switch (orig.DType)
            {
                case DType.Float32:
                {
                    var o = MemoryMarshal.Cast<byte, float>(values);
                    for (int i = 0; i < o.Length; i++) { o[i] *= m[i]; if (o[i] == 0) zeros++; }
                    break;
                }
                case DType.Float64:
                {
                    var o = MemoryMarshal.Cast<byte, double>(values);
                    for (int i = 0; i < o.Length; i++) { o[i] *= m[i]; if (o[i] == 0) zeros++; }
                    break;
                }
                case DType.Float16:
                {
                    var o = MemoryMarshal.Cast<byte, Half>(values);
                    for (int i = 0; i < o.Length; i++) { o[i] = (Half)((float)o[i] * m[i]); if (o[i] == Half.Zero) zeros++; }
                    break;
                }
                default:
                {
                    var o = MemoryMarshal.Cast<byte, ushort>(values);
                    for (int i = 0; i < o.Length; i++)
                    {
                        float product = BitConverter.Int32BitsToSingle(o[i] << 16) * m[i];
                        o[i] = FloatBits.FloatToBFloat16(BitConverter.SingleToUInt32Bits(product), 0x7FC0);
                        if ((o[i] & 0x7FFF) == 0) zeros++;
                    }
                    break;
                }
            }
            return zeros;
        }
    }
}
