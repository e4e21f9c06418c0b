using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using PtSharp.Pickle;

namespace PtSharp.Writing;

/// <summary>
/// Emits pickle opcodes (protocol 2, the subset torch's weights-only unpickler accepts) into a growing buffer.
/// Only encoding lives here; what to emit for each value is decided by <see cref="TorchPickler"/>.
/// </summary>
internal sealed class PickleEmitter
{
    private readonly MemoryStream _out = new();
    private int _nextMemo;

    public byte[] ToArray() => _out.ToArray();

    public void Op(PickleOpcode op) => _out.WriteByte((byte)op);

    public void Proto(int version) { Op(PickleOpcode.Proto); _out.WriteByte((byte)version); }

    public void Stop() => Op(PickleOpcode.Stop);

    public void None() => Op(PickleOpcode.None);

    public void Bool(bool v) => Op(v ? PickleOpcode.NewTrue : PickleOpcode.NewFalse);

    public void Int(long v)
    {
        if (v is >= 0 and <= 0xFF) { Op(PickleOpcode.BinInt1); _out.WriteByte((byte)v); }
        else if (v is >= 0 and <= 0xFFFF) { Op(PickleOpcode.BinInt2); Write16((ushort)v); }
        else if (v is >= int.MinValue and <= int.MaxValue) { Op(PickleOpcode.BinInt); Write32((uint)(int)v); }
        else Long(v);
    }

    public void Long(BigInteger v)
    {
        var bytes = v.IsZero ? [] : v.ToByteArray(isUnsigned: false, isBigEndian: false);
        if (bytes.Length <= 0xFF) { Op(PickleOpcode.Long1); _out.WriteByte((byte)bytes.Length); }
        else { Op(PickleOpcode.Long4); Write32((uint)bytes.Length); }
        _out.Write(bytes);
    }

    public void Float(double v)
    {
        Op(PickleOpcode.BinFloat);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, v);
        _out.Write(b);
    }

    public void String(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Op(PickleOpcode.BinUnicode);
        Write32((uint)bytes.Length);
        _out.Write(bytes);
    }

    /// <summary>GLOBAL with protocol-2 module names (Python 3 writes <c>__builtin__</c> for <c>builtins</c> below protocol 3).</summary>
    public void Global(string module, string name)
    {
        if (module == "builtins") module = "__builtin__";
        else if (module == "copyreg") module = "copy_reg";
        Op(PickleOpcode.Global);
        _out.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
    }

    public int Memoize()
    {
        int id = _nextMemo++;
        if (id <= 0xFF) { Op(PickleOpcode.BinPut); _out.WriteByte((byte)id); }
        else { Op(PickleOpcode.LongBinPut); Write32((uint)id); }
        return id;
    }

    public void Get(int id)
    {
        if (id <= 0xFF) { Op(PickleOpcode.BinGet); _out.WriteByte((byte)id); }
        else { Op(PickleOpcode.LongBinGet); Write32((uint)id); }
    }

    private void Write16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); _out.Write(b); }
    private void Write32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); _out.Write(b); }
}
