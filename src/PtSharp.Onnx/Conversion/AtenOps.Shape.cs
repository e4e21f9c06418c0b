using static PtSharp.Onnx.Conversion.GraphBuilder;

namespace PtSharp.Onnx.Conversion;

/// <summary>Shape ops: view/reshape/flatten/permute/transpose/squeeze/unsqueeze, cat/stack/chunk/split/slice/select.</summary>
internal sealed partial class AtenOps
{
    private TensorValue Reshape(Interpreter it, TensorValue x, long[] target)
    {
        var shape = (long[])target.Clone();
        int infer = Array.IndexOf(shape, -1L);
        long known = shape.Where(d => d != -1).Aggregate(1L, (p, q) => p * q);
        if (infer >= 0) shape[infer] = known == 0 ? 0 : x.ElementCount / known;
        if (shape.Aggregate(1L, (p, q) => p * q) != x.ElementCount)
            throw it.Error($"cannot view [{string.Join(", ", x.Shape)}] as [{string.Join(", ", target)}]", "aten::view");
        if (x.Known is not null) return TensorValue.Constant(x.Known, shape, x.DType);
        if (shape.SequenceEqual(x.Shape)) return x;
        return _g.Op("Reshape", [x, _g.Int64s(target, reshapeTarget: true)], shape, x.DType);
    }

    private TensorValue Flatten(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        if (x.Rank == 0) return Reshape(it, x, [1]);
        int start = Axis(it, a.Long(1, 0), x.Rank), end = Axis(it, a.Long(2, -1), x.Rank);
        if (start == end) return x;
        long merged = x.Shape[start..(end + 1)].Aggregate(1L, (p, q) => p * q);
        var shape = x.Shape[..start].Append(merged).Concat(x.Shape[(end + 1)..]).ToArray();
        if (end == x.Rank - 1 && start == 1 || start == 0 && end == x.Rank - 2)
            return _g.Op("Flatten", [x], shape, x.DType, Int("axis", start == 0 ? end + 1 : 1));
        var target = shape.Select((d, i) => i == start ? -1 : d).ToArray();
        return Reshape(it, x, target);
    }

    private TensorValue Unflatten(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        int dim = Axis(it, a.Long(1), x.Rank);
        var sizes = a.Longs(2);
        var target = x.Shape[..dim].Concat(sizes).Concat(x.Shape[(dim + 1)..]).ToArray();
        return Reshape(it, x, target);
    }

    private TensorValue Permute(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        var perm = a.Longs(1).Select(p => (long)Axis(it, p, x.Rank)).ToArray();
        return perm.Select((p, i) => p == i).All(b => b) ? x : Transpose(x, perm);
    }

    private TensorValue TransposeDims(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        int d0 = Axis(it, a.Long(1), x.Rank), d1 = Axis(it, a.Long(2), x.Rank);
        if (d0 == d1) return x;
        var perm = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        (perm[d0], perm[d1]) = (perm[d1], perm[d0]);
        return Transpose(x, perm);
    }

    private TensorValue Squeeze(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        var dims = a.Has(1) ? a.Longs(1).Select(d => (long)Axis(it, d, x.Rank)).ToArray()
            : Enumerable.Range(0, x.Rank).Where(i => x.Shape[i] == 1).Select(i => (long)i).ToArray();
        dims = dims.Where(d => x.Shape[d] == 1).ToArray(); // torch ignores dims that are not 1
        if (dims.Length == 0) return x;
        var shape = x.Shape.Where((_, i) => !dims.Contains(i)).ToArray();
        return _g.Op("Squeeze", [x, _g.Int64s(dims)], shape, x.DType);
    }

    private TensorValue Unsqueeze(Interpreter it, TensorValue x, long dim)
    {
        int d = Axis(it, dim, x.Rank + 1);
        var shape = x.Shape[..d].Append(1L).Concat(x.Shape[d..]).ToArray();
        return _g.Op("Unsqueeze", [x, _g.Int64s([d])], shape, x.DType);
    }

    private TensorValue Concat(Interpreter it, List<TensorValue> xs, long dim)
    {
        if (xs.Count == 0) throw it.Error("cat of an empty list", "aten::cat");
        int d = Axis(it, dim, xs[0].Rank);
        var shape = (long[])xs[0].Shape.Clone();
        shape[d] = xs.Sum(x => x.Shape[d]);
        if (xs.Count == 1) return xs[0];
        return _g.Op("Concat", xs.Cast<object?>().ToArray(), shape, xs[0].DType, Int("axis", d));
    }

    private TensorValue Stack(Interpreter it, OpArgs a)
    {
        var xs = a.Tensors(0);
        long dim = a.Long(1);
        int d = Axis(it, dim, xs[0].Rank + 1);
        return Concat(it, xs.Select(x => Unsqueeze(it, x, d)).ToList(), d);
    }

    private List<object?> SplitInto(Interpreter it, TensorValue x, int d, long[] sizes)
    {
        if (sizes.Length == 1) return [x];
        var outputs = sizes.Select(s => { var sh = (long[])x.Shape.Clone(); sh[d] = s; return (sh, x.DType); }).ToArray();
        TensorValue[] parts = _g.Opset >= 18
            ? _g.Ops("Split", [x, _g.Int64s(sizes)], outputs, Int("axis", d))
            : _g.Ops("Split", [x, _g.Int64s(sizes)], outputs, Int("axis", d));
        return parts.Cast<object?>().ToList();
    }

    private List<object?> Chunk(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        long chunks = a.Long(1);
        int d = Axis(it, a.Long(2, 0), x.Rank);
        long size = (x.Shape[d] + chunks - 1) / chunks;
        return SplitInto(it, x, d, Pieces(x.Shape[d], size));
    }

    private static long[] Pieces(long total, long size)
    {
        var list = new List<long>();
        for (long s = 0; s < total; s += size) list.Add(Math.Min(size, total - s));
        return list.ToArray();
    }

    private List<object?> Split(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        int d = Axis(it, a.Long(2, 0), x.Rank);
        var sizes = a.Raw(1) is long size ? Pieces(x.Shape[d], size) : a.Longs(1);
        if (sizes.Sum() != x.Shape[d]) throw it.Error("split sizes do not add up to the dimension", "aten::split");
        return SplitInto(it, x, d, sizes);
    }

    private TensorValue Slice(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        int d = Axis(it, a.Long(1, 0), x.Rank);
        long n = x.Shape[d];
        long step = a.Long(4, 1);
        if (step <= 0) throw it.Error("slice step must be positive", "aten::slice");
        long start = a.Has(2) ? a.Long(2) : 0, end = a.Has(3) ? a.Long(3) : long.MaxValue;
        if (start < 0) start += n;
        if (end < 0) end += n;
        start = Math.Clamp(start, 0, n);
        end = Math.Clamp(end, start, n);
        if (start == 0 && end == n && step == 1) return x;
        var shape = (long[])x.Shape.Clone();
        shape[d] = (end - start + step - 1) / step;
        return _g.Op("Slice", [x, _g.Int64s([start]), _g.Int64s([end]), _g.Int64s([d]), _g.Int64s([step])], shape, x.DType);
    }

    private TensorValue Select(Interpreter it, OpArgs a)
    {
        var x = a.Tensor(0);
        int d = Axis(it, a.Long(1), x.Rank);
        long index = a.Long(2);
        if (index < 0) index += x.Shape[d];
        if (index < 0 || index >= x.Shape[d]) throw it.Error($"index {a.Long(2)} is out of range for size {x.Shape[d]}", "aten::select");
        if (x.Known is not null && x.Rank == 1) return TensorValue.Constant([x.Known[index]], [], x.DType);
        var idx = TensorValue.Constant([index], [], DType.Int64);
        return Gather(x, idx, d);
    }

    private TensorValue Gather(TensorValue data, TensorValue indices, int axis)
    {
        var shape = data.Shape[..axis].Concat(indices.Shape).Concat(data.Shape[(axis + 1)..]).ToArray();
        return _g.Op("Gather", [data, indices], shape, data.DType, Int("axis", axis));
    }
}
