using System.Text;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>
/// Legacy streams at pickle protocols 0, 1 and 2: torch's <c>_legacy_load</c> unpickles five pickles back to back
/// (magic number, protocol version, sys_info, main pickle, storage keys), so a payload in any of them runs. Each
/// stream is hand-built the way torch writes it; the harmless twins are loaded by real torch 1.13.
/// </summary>
public sealed class LegacyStreamScanTests
{
    private static readonly string[] Sections =
        ["legacy magic number", "legacy protocol version", "legacy sys_info", "legacy main pickle",
            "legacy storage keys"];

    /// <summary>The five pickles of an empty legacy checkpoint (<c>torch.save({}, f, pickle_protocol=p)</c>).</summary>
    private static byte[][] Pickles(int protocol) => protocol switch
    {
        0 =>
        [
            "L119547037146038801333356L\n."u8.ToArray(), "I1001\n."u8.ToArray(),
            "(dp0\nVprotocol_version\np1\nI1001\ns."u8.ToArray(), "(dp0\n."u8.ToArray(), "(lp0\n."u8.ToArray(),
        ],
        1 =>
        [
            "L119547037146038801333356L\n."u8.ToArray(), Latin1("M\u00e9\u0003."),
            Latin1("}q\0X\u0010\0\0\0protocol_versionq\u0001M\u00e9\u0003s."), Latin1("}q\0."), Latin1("]q\0."),
        ],
        _ =>
        [
            [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E],
            [0x80, 0x02, (byte)'M', 0xE9, 0x03, (byte)'.'], [0x80, 0x02, (byte)'}', (byte)'q', 0, (byte)'.'],
            [0x80, 0x02, (byte)'}', (byte)'q', 0, (byte)'.'], [0x80, 0x02, (byte)']', (byte)'q', 0, (byte)'.'],
        ],
    };

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>
    /// <c>callable('marker')</c> then POP, in front of a pickle: the pickle's value is unchanged, so torch goes on
    /// reading the stream after running the call.
    /// </summary>
    private static byte[] WithCall(string module, string name, string marker, byte[] pickle) =>
        [.. Encoding.ASCII.GetBytes($"c{module}\n{name}\n(S'{marker}'\ntR0"), .. pickle];

    private static byte[] Stream(int protocol, int hideIn = -1, string module = "os", string name = "system")
    {
        var pickles = Pickles(protocol);
        if (hideIn >= 0) pickles[hideIn] = WithCall(module, name, $"PTSHARP-RAN-{protocol}-{hideIn}", pickles[hideIn]);
        return [.. pickles.SelectMany(p => p)];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void An_empty_legacy_stream_is_five_clean_pickles_the_reader_opens(int protocol)
    {
        var bytes = Stream(protocol);
        var r = PtScanner.ScanBytes(bytes, "legacy.pt");
        Assert.Equal(ScanContainer.LegacyStream, r.Container);
        Assert.Equal(5, r.PickleCount);
        Assert.False(r.IsDangerous);
        Assert.False(r.HasWarnings, string.Join("; ", r.Findings.Select(f => f.Message)));

        var path = Path.Combine(Path.GetTempPath(), $"ptsharp-legacy-empty-{protocol}-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var file = PtFile.Open(path);
            Assert.Equal(PtFormat.Legacy, file.Format);
            Assert.Empty(file.Tensors);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(0, 3)]
    [InlineData(0, 4)]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(1, 3)]
    [InlineData(1, 4)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 3)]
    [InlineData(2, 4)]
    public void A_payload_in_a_later_pickle_of_a_legacy_stream_is_dangerous(int protocol, int pickle)
    {
        var r = PtScanner.ScanBytes(Stream(protocol, pickle), "legacy.pt");
        Assert.Equal(ScanContainer.LegacyStream, r.Container);
        Assert.True(r.IsDangerous);
        var f = Assert.Single(r.Findings, f => f.Severity == ScanSeverity.Dangerous);
        Assert.Equal("os.system", f.Global);
        Assert.Equal(Sections[pickle], f.Record);
    }

    [Fact]
    public void A_stream_whose_first_pickle_is_not_the_magic_number_is_a_plain_pickle()
    {
        byte[] bytes = [.. "I5\n."u8.ToArray(), .. Stream(0).AsSpan(27)];
        var r = PtScanner.ScanBytes(bytes, "plain.pkl");
        Assert.Equal(ScanContainer.Pickle, r.Container);
    }

    [Fact]
    public void Torch_runs_a_call_hidden_in_each_later_pickle_and_the_scanner_flags_every_such_file()
    {
        if (!Oracle.IsAvailable("1.13")) return;
        var dir = Directory.CreateTempSubdirectory("ptsharp-legacy-twins-").FullName;
        try
        {
            var files = new List<string>();
            foreach (int protocol in new[] { 0, 1, 2 })
                for (int pickle = 1; pickle < 5; pickle++)
                {
                    // Harmless twin: builtins.print instead of a command.
                    var path = Path.Combine(dir, $"p{protocol}-{pickle}.pt");
                    File.WriteAllBytes(path, Stream(protocol, pickle, "builtins", "print"));
                    files.Add(path);
                    var r = PtScanner.ScanFile(path);
                    Assert.True(r.IsDangerous, $"{path}: {r}");
                    Assert.Contains(r.Findings, f => f.Global == "builtins.print" && f.Record == Sections[pickle]);
                }
            var script = Path.Combine(dir, "load.py");
            File.WriteAllText(script, """
                import sys, json, torch
                for p in sys.argv[1:]:
                    try:
                        torch.load(p)
                    except Exception as e:
                        print("load failed", p, type(e).__name__, flush=True)
                """);
            var (code, stdout, stderr) = Oracle.Run("1.13", [script, .. files], TimeSpan.FromMinutes(2));
            Assert.True(code == 0, stderr);
            foreach (int protocol in new[] { 0, 1, 2 })
                for (int pickle = 1; pickle < 5; pickle++)
                    Assert.Contains($"PTSHARP-RAN-{protocol}-{pickle}", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
