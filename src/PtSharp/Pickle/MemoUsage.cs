using System.Buffers.Binary;
using PtSharp.IO;

namespace PtSharp.Pickle;

/// <summary>
/// A pass over a pickle's opcodes, before it runs, that finds which memo entries are ever read back (GET, BINGET,
/// LONG_BINGET). Picklers memoize every tuple, string and object they write, but a torch pickle reads back only a
/// handful (the storage class, <c>'storage'</c>, <c>'cpu'</c>, the reconstructors): keeping only those alive lets
/// the per-tensor argument tuples die young instead of being promoted through every garbage-collector generation,
/// which is most of the cost of opening a file with tens of thousands of tensors. Only argument lengths are
/// decoded here; the machine still validates everything. Anything this pass does not understand makes it give
/// up (<see langword="null"/>: keep every entry), never guess.
/// </summary>
internal sealed unsafe class MemoUsage
{
    private const int BitmapLimit = 1 << 24; // indices below this live in a bitmap (2 MiB at most)
    private readonly ulong[] _bits;
    private readonly HashSet<long>? _large;

    /// <summary>Largest index read back (-1 when none); <see cref="long.MaxValue"/> when one is negative or beyond the bitmap.</summary>
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
        (ulong)index < (ulong)_bits.Length * 64 ? (_bits[index >> 6] & (1UL << (int)(index & 63))) != 0 : _large?.Contains(index) == true;

    // Past this many distinct indices the set would cost more than the entries it spares; keep everything then.
    private const int MaxTracked = 1 << 20;

    /// <summary>Which memo entries the program reads, or <see langword="null"/> when it could not be scanned to its STOP.</summary>
    public static MemoUsage? Scan(ByteWindow input, long start)
    {
        byte* p = input.Pointer;
        long end = input.Length;
        long pos = start;
        var fetched = new HashSet<long>();
        while (pos < end)
        {
            byte op = p[pos++];
            long arg; // bytes of inline argument after the opcode
            switch ((PickleOpcode)op)
            {
                case PickleOpcode.Stop:
                    return new MemoUsage(fetched);

                case PickleOpcode.Mark: case PickleOpcode.Pop: case PickleOpcode.PopMark: case PickleOpcode.Dup:
                case PickleOpcode.None: case PickleOpcode.NewTrue: case PickleOpcode.NewFalse:
                case PickleOpcode.EmptyTuple: case PickleOpcode.Tuple: case PickleOpcode.Tuple1: case PickleOpcode.Tuple2:
                case PickleOpcode.Tuple3: case PickleOpcode.EmptyList: case PickleOpcode.List: case PickleOpcode.Append:
                case PickleOpcode.Appends: case PickleOpcode.EmptyDict: case PickleOpcode.Dict: case PickleOpcode.SetItem:
                case PickleOpcode.SetItems: case PickleOpcode.EmptySet: case PickleOpcode.AddItems: case PickleOpcode.FrozenSet:
                case PickleOpcode.Reduce: case PickleOpcode.Build: case PickleOpcode.NewObj: case PickleOpcode.NewObjEx:
                case PickleOpcode.StackGlobal: case PickleOpcode.Memoize: case PickleOpcode.BinPersId: case PickleOpcode.Obj:
                case PickleOpcode.NextBuffer: case PickleOpcode.ReadOnlyBuffer:
                    arg = 0;
                    break;

                case PickleOpcode.BinGet:
                    if (pos >= end) return null;
                    fetched.Add(p[pos]);
                    arg = 1;
                    break;
                case PickleOpcode.LongBinGet:
                    if (end - pos < 4) return null;
                    fetched.Add(BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p + pos, 4)));
                    arg = 4;
                    break;
                case PickleOpcode.Get:
                    {
                        long nl = NextNewline(p, pos, end);
                        if (nl < 0 || !PickleIntegerText.TryParseMemoIndex(new ReadOnlySpan<byte>(p + pos, (int)(nl - pos)), out long index))
                            return null;
                        fetched.Add(index);
                        arg = nl + 1 - pos;
                        break;
                    }

                case PickleOpcode.BinInt1: case PickleOpcode.BinPut: case PickleOpcode.Proto: case PickleOpcode.Ext1:
                    arg = 1;
                    break;
                case PickleOpcode.BinInt2: case PickleOpcode.Ext2:
                    arg = 2;
                    break;
                case PickleOpcode.BinInt: case PickleOpcode.LongBinPut: case PickleOpcode.Ext4:
                    arg = 4;
                    break;
                case PickleOpcode.BinFloat: case PickleOpcode.Frame: // a frame's contents are ordinary opcodes
                    arg = 8;
                    break;

                case PickleOpcode.ShortBinString: case PickleOpcode.ShortBinUnicode: case PickleOpcode.ShortBinBytes: case PickleOpcode.Long1:
                    if (pos >= end) return null;
                    arg = 1 + p[pos];
                    break;
                case PickleOpcode.BinString: case PickleOpcode.BinUnicode: case PickleOpcode.BinBytes: case PickleOpcode.Long4:
                    if (end - pos < 4) return null;
                    arg = 4 + (long)BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p + pos, 4));
                    break;
                case PickleOpcode.BinUnicode8: case PickleOpcode.BinBytes8: case PickleOpcode.ByteArray8:
                    {
                        if (end - pos < 8) return null;
                        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(p + pos, 8));
                        if (n > (ulong)(end - pos - 8)) return null;
                        arg = 8 + (long)n;
                        break;
                    }

                case PickleOpcode.Int: case PickleOpcode.Long: case PickleOpcode.Float: case PickleOpcode.String:
                case PickleOpcode.Unicode: case PickleOpcode.PersId: case PickleOpcode.Put:
                    {
                        long nl = NextNewline(p, pos, end);
                        if (nl < 0) return null;
                        arg = nl + 1 - pos;
                        break;
                    }
                case PickleOpcode.Global: case PickleOpcode.Inst: // module and name, one line each
                    {
                        long nl = NextNewline(p, pos, end);
                        long nl2 = nl < 0 ? -1 : NextNewline(p, nl + 1, end);
                        if (nl2 < 0) return null;
                        arg = nl2 + 1 - pos;
                        break;
                    }

                default:
                    return null;
            }
            if (arg > end - pos || fetched.Count > MaxTracked) return null;
            pos += arg;
        }
        return null;
    }

    private static long NextNewline(byte* p, long from, long end)
    {
        var rest = new ReadOnlySpan<byte>(p + from, (int)Math.Min(end - from, int.MaxValue));
        int i = rest.IndexOf((byte)'\n');
        return i < 0 ? -1 : from + i;
    }
}
