using System.Text;
using System.Text.Json;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Pickle;

/// <summary>
/// The text arguments of INT, LONG and PUT/GET decode exactly as CPython's C unpickler decodes them: thousands of
/// generated lines (signs, whitespace, NULs, prefixes, underscores, C octal, overflow) are unpickled by
/// /usr/bin/python3's <c>pickle</c> in one process and compared with <see cref="PickleIntegerText"/>, the pickle
/// machine and the scanner.
/// </summary>
public sealed class IntegerTextDifferentialTests
{
    private const string Script = """
import io, json, pickle, sys
lines = [bytes.fromhex(h) for h in json.load(open(sys.argv[1]))]
out = []
for line in lines:
    row = {}
    for op in (b"I", b"L"):
        try:
            v = pickle.loads(op + line + b"\n.")
            row[op.decode()] = ("bool:" + str(v)) if isinstance(v, bool) else str(v)
        except Exception:
            row[op.decode()] = None
    try:
        u = pickle.Unpickler(io.BytesIO(b"Np" + line + b"\n."))
        u.load()
        row["P"] = str(list(u.memo.copy().keys())[0])
    except Exception:
        row["P"] = None
    out.append(row)
json.dump(out, sys.stdout)
""";

    private static List<byte[]> Inputs()
    {
        var list = new List<byte[]>();
        foreach (var s in new[] { "0", "1", "00", "01", "+1", "-0", " 1", "1 ", "\t2", "1_0", "1__0", "_1", "1_", "0x1f", "0X1F", "0x",
                     "0o17", "0b11", "010", "08", "0_0", "00_0", "0x_1f", "0xg", "12\0junk", "\0", "+", "-", " ", "\v7\f", "7\r",
                     "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                     "99999999999999999999999", "1L", "0x10L", "1_000_000", "١", "1e3", "3.0", "0b", "0o8", "-0x10", "+0b1" })
            list.Add(Encoding.UTF8.GetBytes(s));
        var rng = new Random(1234);
        const string alphabet = "0123456789_ +-xXoObBLl\t\v\f\r\0aZ";
        for (int i = 0; i < 3000; i++)
        {
            int n = rng.Next(1, 8);
            var b = new byte[n];
            for (int k = 0; k < n; k++) b[k] = (byte)alphabet[rng.Next(alphabet.Length)];
            list.Add(b);
        }
        return list;
    }

    [Fact]
    public void Int_long_and_memo_index_text_decode_as_CPython_does()
    {
        var inputs = Inputs();
        string json = Path.Combine(Path.GetTempPath(), $"ptsharp-inttext-{Environment.ProcessId}.json");
        string script = Path.Combine(Path.GetTempPath(), $"ptsharp-inttext-{Environment.ProcessId}.py");
        File.WriteAllText(json, JsonSerializer.Serialize(inputs.Select(Convert.ToHexString)));
        File.WriteAllText(script, Script);
        try
        {
            var (code, stdout, stderr) = Oracle.Run("1.13", [script, json], TimeSpan.FromMinutes(2));
            Assert.True(code == 0, stderr);
            var rows = JsonSerializer.Deserialize<List<Dictionary<string, string?>>>(stdout)!;
            Assert.Equal(inputs.Count, rows.Count);
            var mismatches = new List<string>();
            for (int i = 0; i < inputs.Count; i++)
            {
                var line = inputs[i];
                string? ours = PickleIntegerText.TryParseInt(line, out var v, out bool isBool)
                    ? isBool ? "bool:" + (v.IsZero ? "False" : "True") : v.ToString() : null;
                if (ours != rows[i]["I"]) mismatches.Add($"INT {Convert.ToHexString(line)}: ours {ours}, CPython {rows[i]["I"]}");
                string? ourLong = PickleIntegerText.TryParseLong(line, out var lv) ? lv.ToString() : null;
                if (ourLong != rows[i]["L"]) mismatches.Add($"LONG {Convert.ToHexString(line)}: ours {ourLong}, CPython {rows[i]["L"]}");
                string? ourPut = PickleIntegerText.TryParseMemoIndex(line, out long idx) && idx >= 0 ? idx.ToString() : null;
                // CPython's memo is an array: a PUT past ~2^40 parses but fails to allocate (MemoryError), not to decode.
                bool allocationFailure = rows[i]["P"] is null && ourPut is not null && idx >= 1L << 40;
                if (ourPut != rows[i]["P"] && !allocationFailure) mismatches.Add($"PUT {Convert.ToHexString(line)}: ours {ourPut}, CPython {rows[i]["P"]}");
            }
            Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches:\n" + string.Join("\n", mismatches.Take(30)));
        }
        finally
        {
            File.Delete(json);
            File.Delete(script);
        }
    }

    [Fact]
    public void The_machine_and_the_scanner_follow_an_underscored_memo_index_to_the_same_global()
    {
        // PUT '1_0' stores at 10 for CPython; a parser that refuses it resolves GET 10 to nothing (or another entry).
        var p = new PickleBuilder().UnicodeText("os").Ascii("p1_0\n").Pop().UnicodeText("system").Ascii("p0\n").Pop()
            .Ascii("g10\n").Ascii("g0\n").Op(0x93).Mark().UnicodeText("id").Tuple().Reduce().Stop();
        var r = PtScanner.ScanBytes(p.ToArray(), "memo.pkl");
        Assert.Contains(r.Globals, g => g.FullName == "os.system" && g.Verdict == GlobalVerdict.Dangerous);
        Assert.False(r.IsMalformed, string.Join("; ", r.Findings.Select(f => f.Message)));
        using var f = PtFile.Load(ZipBuilder.MakePt(p.ToArray()));
        Assert.Contains("os.system", f.Globals);
    }
}
