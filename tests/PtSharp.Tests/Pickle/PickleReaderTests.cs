using System.Text;
using System.Text.Json;
using PtSharp.Pickle;
using PtSharp.Tests.Support;
using P = PtSharp.Tests.Support.PickleBuilder;

namespace PtSharp.Tests.Pickle;

/// <summary>
/// The one pickle decoder: its opcode table is CPython's (<c>pickletools.opcodes</c>), it splits real pickles
/// written by /usr/bin/python3 into the same opcodes at the same offsets with the same integer arguments as
/// <c>pickletools.genops</c>, it reports where and why it stops, and it allocates nothing while reading.
/// </summary>
public sealed class PickleReaderTests
{
    private const string TableScript = """
import json, pickletools, sys
def shape(a):
    if a is None: return "None"
    if a.name == "stringnl_noescape_pair": return "TwoLines"
    if a.n == -1: return "Line"
    return {"uint1": "UInt8", "uint2": "UInt16", "int4": "Int32", "uint4": "UInt32", "uint8": "Frame",
            "float8": "Float64"}.get(a.name) or {-2: "Counted8", -3: "Counted32Signed", -4: "Counted32",
            -5: "Counted64"}[a.n]
json.dump([[o.name, ord(o.code.encode("latin-1")), shape(o.arg)] for o in pickletools.opcodes], sys.stdout)
""";

    private const string GenopsScript = """
import collections, datetime, decimal, fractions, json, pickle, pickletools, sys
class Plain: pass
obj = Plain(); obj.a = 1; obj.b = [1.5, "x"]
values = [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**63, -2**70, 1.25, -0.0,
          "", "a", "é€𝄞" * 3, "x" * 300, b"", b"\x00\xff" * 200, bytearray(b"abc"), (), (1,), (1, 2), (1, 2, 3),
          (1, 2, 3, 4), [], [1, [2, [3]]], {}, {"k": [1, 2], 3: (4,)}, set(), {1, 2}, frozenset({3}),
          collections.OrderedDict(a=1), datetime.date(2024, 1, 2), decimal.Decimal("1.5"),
          fractions.Fraction(1, 3), obj, [obj, obj], complex(1, 2), list(range(2000)), {"s": "y" * 70000}]
out = []
for proto in range(0, 6):
    for v in values:
        data = pickle.dumps(v, protocol=proto)
        ops = []
        for op, arg, pos in pickletools.genops(data):
            ops.append([op.name, pos, arg if isinstance(arg, int) and not isinstance(arg, bool) else None])
        out.append({"hex": data.hex(), "ops": ops})
json.dump(out, sys.stdout)
""";

    private static string RunPython(string script)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ptsharp-reader-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        File.WriteAllText(path, script);
        try
        {
            var (code, stdout, stderr) = Oracle.Run("1.13", [path], TimeSpan.FromMinutes(2));
            Assert.True(code == 0, stderr);
            return stdout;
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_opcode_table_is_CPythons()
    {
        var rows = JsonSerializer.Deserialize<List<JsonElement>>(RunPython(TableScript))!;
        Assert.Equal(rows.Count, PickleOpcodeTable.Count);
        foreach (var row in rows)
        {
            string name = row[0].GetString()!;
            byte code = (byte)row[1].GetInt32();
            Assert.True(PickleOpcodeTable.IsOpcode(code), name);
            Assert.Equal(name, PickleOpcodeTable.Name((PickleOpcode)code));
            Assert.Equal(row[2].GetString(), PickleOpcodeTable.ArgumentOf(code).ToString());
            Assert.True(Enum.IsDefined((PickleOpcode)code), name);
        }
        int invalid = Enumerable.Range(0, 256).Count(b => !PickleOpcodeTable.IsOpcode((byte)b));
        Assert.Equal(256 - rows.Count, invalid);
    }

    [Fact]
    public void Real_pickles_split_into_the_opcodes_pickletools_sees()
    {
        var cases = JsonSerializer.Deserialize<List<JsonElement>>(RunPython(GenopsScript))!;
        Assert.True(cases.Count >= 6 * 40);
        var mismatches = new List<string>();
        foreach (var c in cases)
        {
            byte[] data = Convert.FromHexString(c.GetProperty("hex").GetString()!);
            var expected = c.GetProperty("ops").EnumerateArray().ToList();
            var reader = new PickleReader(data);
            for (int i = 0; i < expected.Count; i++)
            {
                if (!reader.Next(out var ins))
                {
                    string head = Convert.ToHexString(data[..Math.Min(20, data.Length)]);
                    mismatches.Add($"{head}: stopped: {reader.Error}");
                    break;
                }
                string name = expected[i][0].GetString()!;
                int pos = expected[i][1].GetInt32();
                var arg = expected[i][2];
                string ours = PickleOpcodeTable.Name(ins.Opcode);
                if (ours != name || ins.Position != pos
                    || arg.ValueKind == JsonValueKind.Number && arg.TryGetInt64(out long v) && IntArgument(ins) != v)
                {
                    mismatches.Add(
                        $"op {i}: ours {ours}@{ins.Position}={IntArgument(ins)}, pickletools {name}@{pos}={arg}");
                    break;
                }
            }
            Assert.Equal(data.Length, reader.Position);
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(20)));
    }

    /// <summary>The integer pickletools reports: a fixed-width argument, or a text line's value.</summary>
    private static long? IntArgument(in PickleInstruction ins) => PickleOpcodeTable.ArgumentOf((byte)ins.Opcode) switch
    {
        PickleArgument.Line when ins.Opcode is PickleOpcode.Int or PickleOpcode.Long or PickleOpcode.Get
            or PickleOpcode.Put => long.TryParse(Encoding.ASCII.GetString(ins.Argument).TrimEnd('L'), out long v)
                ? v : null,
        PickleArgument.Counted8 or PickleArgument.Counted32Signed when ins.Opcode is PickleOpcode.Long1
            or PickleOpcode.Long4 => ins.Argument.Length <= 8 ? LittleEndian(ins.Argument) : null,
        PickleArgument.UInt8 or PickleArgument.UInt16 or PickleArgument.Int32 or PickleArgument.UInt32
            or PickleArgument.Frame => ins.Int,
        _ => null,
    };

    private static long LittleEndian(ReadOnlySpan<byte> b)
    {
        if (b.Length == 0) return 0;
        long v = 0;
        for (int i = b.Length - 1; i >= 0; i--) v = (v << 8) | b[i];
        int shift = 64 - 8 * b.Length;
        return shift == 0 ? v : (v << shift) >> shift;
    }

    [Fact]
    public void Arguments_are_decoded_with_their_offsets()
    {
        var p = P.Start(4).BinInt(-5).BinInt2(513).BinFloat(2.5).BinUnicode("ab").Ascii("cmod\nname\n")
            .Ascii("p12\n").Op(P.LONG_BINPUT).Raw(1, 2, 0, 0).Stop();
        var r = new PickleReader(p.ToArray());
        Assert.True(r.Next(out var ins));
        Assert.Equal((PickleOpcode.Proto, 0, 4L), (ins.Opcode, ins.Position, ins.Int));
        Assert.True(r.Next(out ins));
        Assert.Equal((PickleOpcode.BinInt, 2, -5L), (ins.Opcode, ins.Position, ins.Int));
        Assert.True(r.Next(out ins));
        Assert.Equal((PickleOpcode.BinInt2, 513L), (ins.Opcode, ins.Int));
        Assert.True(r.Next(out ins));
        Assert.Equal((PickleOpcode.BinFloat, 2.5), (ins.Opcode, ins.Double));
        Assert.True(r.Next(out ins));
        Assert.Equal("ab", Encoding.ASCII.GetString(ins.Argument));
        Assert.Equal(ins.Position + 5, ins.ArgumentOffset);
        Assert.True(r.Next(out ins));
        Assert.Equal(PickleOpcode.Global, ins.Opcode);
        Assert.Equal(("mod", "name"), (Encoding.ASCII.GetString(ins.Argument), Encoding.ASCII.GetString(ins.Name)));
        Assert.Equal((ins.Position + 1, ins.Position + 5), (ins.ArgumentOffset, ins.NameOffset));
        Assert.True(r.Next(out ins));
        Assert.Equal((PickleOpcode.Put, "12"), (ins.Opcode, Encoding.ASCII.GetString(ins.Argument)));
        Assert.True(r.Next(out ins));
        Assert.Equal((PickleOpcode.LongBinPut, 513L), (ins.Opcode, ins.Int));
        Assert.True(r.Next(out ins));
        Assert.Equal(PickleOpcode.Stop, ins.Opcode);
        Assert.False(r.Next(out _));
        Assert.Equal(PickleReadFailure.Truncated, r.Failure);
    }

    [Theory]
    [InlineData("claim", "Truncated", 7, 2)]
    [InlineData("short-int", "Truncated", 3, 2)]
    [InlineData("no-newline", "Truncated", 3, 2)]
    [InlineData("negative", "Corrupt", 2, 2)]
    [InlineData("opcode", "Corrupt", 2, 2)]
    [InlineData("protocol", "Unsupported", 0, 0)]
    [InlineData("empty-line", "Corrupt", 2, 2)]
    [InlineData("frame", "Truncated", 2, 2)]
    public void A_failure_names_its_kind_and_offset(string which, string kind, int offset, int position)
    {
        var p = which switch
        {
            "claim" => P.Start().Op(P.BINUNICODE).Raw(0xFF, 0xFF, 0xFF, 0x7F).Ascii("a"),
            "short-int" => P.Start().Op(P.BININT).Raw(1, 2),
            "no-newline" => P.Start().Op(P.INT).Ascii("12"),
            "negative" => P.Start().Op(P.BINSTRING).Raw(0xFF, 0xFF, 0xFF, 0xFF),
            "opcode" => P.Start().Op(0xFF),
            "protocol" => new P().Proto(6),
            "empty-line" => P.Start().Ascii("c\nname\n"),
            _ => P.Start(4).Frame(100).Stop(),
        };
        var r = new PickleReader(p.ToArray());
        while (r.Next(out _)) { }
        Assert.Equal(kind, r.Failure.ToString());
        Assert.Equal(offset, r.ErrorOffset);
        Assert.Equal(position, r.Position);
        Assert.False(string.IsNullOrEmpty(r.Error));
    }

    [Fact]
    public void Opcodes_that_cross_a_frame_end_are_flagged_not_refused()
    {
        var body = new P().BinUnicode("abcdef").ToArray();
        // The frame claims 3 bytes: BINUNICODE's argument runs past its end.
        var p = P.Start(4).Frame(3).Raw(body).Stop().ToArray();
        var r = new PickleReader(p);
        Assert.True(r.Next(out _)); // PROTO
        Assert.True(r.Next(out var frame));
        Assert.False(frame.CrossesFrame);
        Assert.True(r.Next(out var s));
        Assert.True(s.CrossesFrame);
        Assert.True(r.Next(out var stop));
        Assert.False(stop.CrossesFrame);
        Assert.Equal(PickleOpcode.Stop, stop.Opcode);
    }

    [Fact]
    public void Reading_allocates_nothing()
    {
        var b = P.Start(4);
        for (int i = 0; i < 5000; i++)
            b.Mark().BinUnicode("weight").BinInt(i).Op(P.BINPUT).Raw((byte)i).Ascii("p7\n").Ascii("g7\n").Tuple();
        var data = b.Stop().ToArray();
        static int Count(byte[] data)
        {
            var r = new PickleReader(data);
            int n = 0;
            while (r.Next(out var ins) && ins.Opcode != PickleOpcode.Stop) n++;
            return n;
        }
        Count(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int n = Count(data);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1 + 5000 * 7, n);
    }
}
