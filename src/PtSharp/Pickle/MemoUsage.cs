using PtSharp.IO;

namespace PtSharp.Pickle;

/// <summary>
/// A pass over a pickle's opcodes, before it runs, that finds which memo entries are ever read back (GET, BINGET,
/// LONG_BINGET). Picklers memoize every tuple, string and object they write, but a torch pickle reads back only a
/// handful (the storage class, <c>'storage'</c>, <c>'cpu'</c>, the reconstructors): keeping only those alive lets
/// the per-tensor argument tuples die young instead of being promoted through every garbage-collector generation,
/// which is most of the cost of opening a file with tens of thousands of tensors. Opcodes come from the same
/// <see cref="PickleReader"/> the machine runs on; only memo reads are looked at here. Anything this pass cannot
/// read makes it give up (<see langword="null"/>: keep every entry), never guess.
/// </summary>
internal sealed unsafe class MemoUsage
{
    private const int BitmapLimit = 1 << 24; // indices below this live in a bitmap (2 MiB at most)
    private readonly ulong[] _bits;
    private readonly HashSet<long>? _large;

    /// <summary>
    /// Largest index read back (-1 when none); <see cref="long.MaxValue"/> when one is negative or beyond the bitmap.
    /// </summary>
    public long MaxFetched { get; }

    private MemoUsage(HashSet<long> fetched)
    {
        long max = -1;
        foreach (long i in fetched) if (i >= 0 && i < BitmapLimit) max = Math.Max(max, i);
        MaxFetched = fetched.Any(i => i < 0 || i >= BitmapLimit) ? long.MaxValue : max;
        _bits = new ulong[(max >> 6) + 1];
        foreach (long i in fetched)
        {
            if (i >= 0 && i < BitmapLimit) _bits[i >> 6] |= 1UL << (int)(i & 63);
            else (_large ??= []).Add(i);
        }
    }

    /// <summary>True when the program reads memo entry <paramref name="index"/> back.</summary>
    public bool IsFetched(long index) =>
        (ulong)index < (ulong)_bits.Length * 64
            ? (_bits[index >> 6] & (1UL << (int)(index & 63))) != 0
            : _large?.Contains(index) == true;

    // Past this many distinct indices the set would cost more than the entries it spares; keep everything then.
    private const int MaxTracked = 1 << 20;

    /// <summary>
    /// Which memo entries the program reads, or <see langword="null"/> when it could not be read to its STOP.
    /// </summary>
    public static MemoUsage? Scan(ByteWindow input, long start)
    {
        var reader = new PickleReader(
            new ReadOnlySpan<byte>(input.Pointer + start, (int)Math.Min(input.Length - start, int.MaxValue)));
        var fetched = new HashSet<long>();
        while (reader.Next(out var ins))
        {
            switch (ins.Opcode)
            {
                case PickleOpcode.Stop:
                    return new MemoUsage(fetched);
                case PickleOpcode.BinGet: case PickleOpcode.LongBinGet:
                    fetched.Add(ins.Int);
                    break;
                case PickleOpcode.Get:
                    if (!PickleIntegerText.TryParseMemoIndex(ins.Argument, out long index)) return null;
                    fetched.Add(index);
                    break;
            }
            if (fetched.Count > MaxTracked) return null;
        }
        return null;
    }
}
