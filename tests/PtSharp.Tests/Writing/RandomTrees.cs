using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Seeded random state dicts and checkpoints for the round-trip properties: tensors of every non-quantized dtype,
/// 0-dim, zero-size and strided views (random strides including 0, transposes, offsets) over storages that several
/// tensors share, tied tensors (distinct tensor objects over one storage), the same tensor object reached twice,
/// OrderedDicts with <c>_metadata</c>, and the plain values a checkpoint holds.
/// </summary>
internal sealed class RandomTrees(int seed, DType[]? dtypes = null)
{
    public static readonly DType[] TensorDTypes = Enum.GetValues<DType>().Where(d => !d.IsQuantized()).ToArray();

    /// <summary>The dtypes torch 1.13 can save and load.</summary>
    public static readonly DType[] Torch113DTypes =
    [
        DType.Float64, DType.Float32, DType.Float16, DType.BFloat16, DType.Complex64, DType.Complex128,
        DType.Int8, DType.Int16, DType.Int32, DType.Int64, DType.UInt8, DType.Bool,
    ];

    private readonly Random _r = new(seed);
    private readonly DType[] _dtypes = dtypes ?? TensorDTypes;

    /// <summary>
    /// When set, only tensors torch can load with requires_grad=True require it: floating and complex ones, and
    /// outside parameters only dtypes with a legacy storage class (torch 2.6's own <c>_rebuild_tensor_v3</c> fails
    /// on requires_grad: it calls set_ on a leaf that already requires grad).
    /// </summary>
    public bool TorchValid { get; init; }
    private readonly List<PtTensor> _bases = [];
    private readonly List<PtTensor> _made = [];

    /// <summary>A fresh contiguous tensor over a new storage (random bytes; bool elements are 0/1), 0 to 300 elements.</summary>
    public PtTensor NewBase(DType? dtype = null)
    {
        var d = dtype ?? _dtypes[_r.Next(_dtypes.Length)];
        long n = _r.Next(10) switch { 0 => 0, 1 => 1, _ => _r.Next(2, 300) };
        var bytes = new byte[n * d.ElementSize()];
        _r.NextBytes(bytes);
        if (d == DType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        var t = Create(bytes, [n], d);
        _bases.Add(t);
        return t;
    }

    /// <summary>Makes a contiguous tensor of any dtype from raw element bytes (picks the CLR type of the element size).</summary>
    public static PtTensor Create(byte[] bytes, long[] shape, DType d) => d.ElementSize() switch
    {
        1 => PtTensor.FromArray(bytes, shape, d),
        2 => PtTensor.FromSpan(MemoryMarshal.Cast<byte, ushort>(bytes), shape, d),
        4 => PtTensor.FromSpan(MemoryMarshal.Cast<byte, uint>(bytes), shape, d),
        8 => PtTensor.FromSpan(MemoryMarshal.Cast<byte, ulong>(bytes), shape, d),
        16 => PtTensor.FromSpan(MemoryMarshal.Cast<byte, Complex>(bytes), shape, d),
        _ => throw new ArgumentException(d.Name()),
    };

    /// <summary>A random view of <paramref name="b"/>'s storage that stays inside it.</summary>
    public PtTensor View(PtTensor b)
    {
        long n = b.Storage!.ByteLength / b.DType.ElementSize();
        for (int attempt = 0; ; attempt++)
        {
            int rank = _r.Next(5);
            var shape = new long[rank];
            var stride = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                shape[i] = _r.Next(12) == 0 ? 0 : _r.Next(1, 6);
                stride[i] = _r.Next(8) == 0 ? 0 : _r.Next(1, 9);
            }
            if (_r.Next(3) == 0 && rank > 0)
            {
                // contiguous, then maybe transposed (a permutation of contiguous strides)
                var c = PtTensor.ContiguousStrides(shape);
                Array.Copy(c, stride, rank);
                if (rank >= 2 && _r.Next(2) == 0) { (shape[0], shape[^1]) = (shape[^1], shape[0]); (stride[0], stride[^1]) = (stride[^1], stride[0]); }
            }
            long numel = shape.Aggregate(1L, (a, s) => a * s);
            long extent = 0;
            for (int i = 0; i < rank; i++) if (shape[i] > 0) extent += (shape[i] - 1) * stride[i];
            if (numel == 0) return b.View(shape, stride, n == 0 ? 0 : _r.NextInt64(n + 1));
            if (extent < n) return b.View(shape, stride, _r.NextInt64(n - extent));
            if (attempt > 20) return n == 0 ? b.View([0], [1], 0) : b.View([], [], _r.NextInt64(n)); // 0-dim
        }
    }

    /// <summary>A random tensor: new storage, a view of an existing one, a tied copy, or the same object again.</summary>
    public PtTensor Tensor()
    {
        PtTensor t;
        int k = _r.Next(10);
        if (_made.Count > 0 && k == 0) return _made[_r.Next(_made.Count)]; // same object reached twice
        if (_made.Count > 0 && k == 1) t = _made[_r.Next(_made.Count)].Detach(); // tied: another tensor object, same storage and view
        else if (_bases.Count > 0 && k <= 5) t = View(_bases[_r.Next(_bases.Count)]);
        else t = _r.Next(3) == 0 ? View(NewBase()) : NewBase();
        bool differentiable = t.DType.IsFloatingPoint() || t.DType.IsComplex();
        if (_r.Next(6) == 0) t.IsParameter = true;
        if (_r.Next(4) == 0 && (!TorchValid || differentiable && (t.IsParameter || t.DType.LegacyStorageClass() is not null))) t.RequiresGrad = true;
        _made.Add(t);
        return t;
    }

    /// <summary>An <c>OrderedDict</c> of dotted names to tensors with a <c>_metadata</c> attribute, as <c>state_dict()</c> returns.</summary>
    public PyDict StateDict(int maxTensors = 24)
    {
        var sd = new PyDict("collections.OrderedDict");
        int n = _r.Next(maxTensors + 1);
        var modules = new PyDict("collections.OrderedDict");
        modules.Set("", Version());
        for (int i = 0; i < n; i++)
        {
            string module = $"layer{_r.Next(6)}.{(_r.Next(2) == 0 ? "sub" : "conv")}{_r.Next(3)}";
            sd.Set($"{module}.{(_r.Next(2) == 0 ? "weight" : "bias")}{i}", Tensor());
            if (!modules.ContainsKey(module)) modules.Set(module, Version());
        }
        if (_r.Next(5) != 0) sd.Attributes = new PyDict { { "_metadata", modules } };
        return sd;
    }

    private PyDict Version() => new() { { "version", (long)_r.Next(1, 4) } };

    /// <summary>A nested checkpoint: dicts, OrderedDicts, lists, tuples, numbers, strings, bytes, None and tensors.</summary>
    public object? Checkpoint() => new PyDict
    {
        { "epoch", (long)_r.Next(100) },
        { "model_state_dict", StateDict() },
        { "extra", Value(0) },
        { "more", Value(0) },
    };

    public object? Value(int depth)
    {
        int k = _r.Next(depth > 3 ? 10 : 16);
        switch (k)
        {
            case 0: return null;
            case 1: return _r.Next(2) == 0;
            case 2: return Int();
            case 3: return Float();
            case 4: return Text();
            case 5: { var b = new byte[_r.Next(0, 40)]; _r.NextBytes(b); return b; }
            case 6: case 7: case 8: case 9: return Tensor();
            case 10: case 11: return Dict(depth);
            case 12: { var l = new PyList(); int n = _r.Next(6); for (int i = 0; i < n; i++) l.Add(Value(depth + 1)); return l; }
            case 13: { int n = _r.Next(6); var items = new object?[n]; for (int i = 0; i < n; i++) items[i] = Value(depth + 1); return new PyTuple(items); }
            case 14: return StateDict(6);
            default: return (long)_r.Next(-1000, 1000);
        }
    }

    private PyDict Dict(int depth)
    {
        var d = _r.Next(3) == 0 ? new PyDict("collections.OrderedDict") : new PyDict();
        int n = _r.Next(6);
        bool intKeys = _r.Next(3) == 0;
        for (int i = 0; i < n; i++)
        {
            object key = intKeys ? (long)(i * 7 - 3) : $"k{i}_{Text()}";
            d.Set(key, Value(depth + 1));
        }
        return d;
    }

    private object Int() => _r.Next(8) switch
    {
        0 => long.MaxValue,
        1 => long.MinValue,
        2 => (long)int.MinValue - 1,
        3 => BigInteger.Pow(2, 64 + _r.Next(100)) * (_r.Next(2) == 0 ? 1 : -1) + _r.Next(),
        4 => 0L,
        _ => _r.NextInt64(long.MinValue, long.MaxValue),
    };

    private double Float() => _r.Next(9) switch
    {
        0 => double.NaN,
        1 => double.PositiveInfinity,
        2 => double.NegativeInfinity,
        3 => -0.0,
        4 => double.Epsilon,
        5 => double.MaxValue,
        _ => (_r.NextDouble() - 0.5) * Math.Pow(10, _r.Next(-30, 30)),
    };

    private string Text()
    {
        var sb = new StringBuilder();
        int n = _r.Next(12);
        for (int i = 0; i < n; i++)
        {
            switch (_r.Next(6))
            {
                case 0: sb.Append(char.ConvertFromUtf32(_r.Next(0x1F300, 0x1F600))); break; // astral plane
                case 1: sb.Append((char)_r.Next(0xA0, 0x2000)); break;
                case 2: sb.Append("\n\\'\"\0"[_r.Next(5)]); break;
                default: sb.Append((char)_r.Next('a', 'z' + 1)); break;
            }
        }
        return sb.ToString();
    }
}
