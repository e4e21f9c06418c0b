using System.Text.Json;
using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>Unreadable is not clean: <c>pt scan</c> exits 2 with one line per file it cannot read or scan.</summary>
public sealed class UnreadableScanTests
{
    private static (int Code, string Stdout, string Stderr) Run(bool json, bool strict, params string[] paths)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = ScanCommand.Run(stdout, stderr, paths, json, null, strict, recursive: false, []);
        return (rc, stdout.ToString(), stderr.ToString());
    }

    private static Dictionary<string, byte[]> Files()
    {
        var good = File.ReadAllBytes(Path.Combine(RepoPaths.Fixtures, "torch-1.13", "mlp_state_dict.pt"));
        var raw = new PickleBuilder().Global("collections", "OrderedDict").Mark().Tuple().Reduce().Stop().ToArray();
        return new()
        {
            ["empty.pt"] = [],
            ["text.pt"] = "just some text\n"u8.ToArray(),
            ["truncated.pkl"] = raw[..^3],
            ["bad-opcode.pkl"] = [0x80, 0x02, 0x5D, 0xFF, 0x2E],
        };
    }

    [Fact]
    public void Each_unreadable_file_exits_2_with_one_verdict_line_in_strict_mode_too()
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-unreadable-").FullName;
        try
        {
            foreach (var (name, bytes) in Files())
            {
                string path = Path.Combine(dir, name);
                File.WriteAllBytes(path, bytes);
                foreach (bool strict in new[] { false, true })
                {
                    var (code, stdout, stderr) = Run(json: false, strict, path);
                    Assert.Equal(ExitCodes.ScanError, code);
                    Assert.Equal("", stderr);
                    var line = Assert.Single(stdout.Split('\n'), l => l.Contains("UNREADABLE"));
                    Assert.StartsWith(path + ": UNREADABLE ", line);
                    Assert.Contains("1 unreadable", stdout);
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_folder_scan_still_scans_the_other_files_and_counts_the_unreadable_ones()
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-unreadable-").FullName;
        try
        {
            foreach (var (name, bytes) in Files()) File.WriteAllBytes(Path.Combine(dir, name), bytes);
            File.Copy(Path.Combine(RepoPaths.Fixtures, "torch-1.13", "mlp_state_dict.pt"), Path.Combine(dir, "good.pt"));
            var (code, stdout, stderr) = Run(json: true, strict: false, dir);
            Assert.Equal(ExitCodes.ScanError, code);
            Assert.Equal("", stderr);
            using var doc = JsonDocument.Parse(stdout);
            Assert.Equal(5, doc.RootElement.GetProperty("summary").GetProperty("files").GetInt32());
            Assert.Equal(4, doc.RootElement.GetProperty("summary").GetProperty("unreadable").GetInt32());
            Assert.Equal(4, doc.RootElement.GetProperty("files").EnumerateArray().Count(f => f.GetProperty("verdict").GetString() == "unreadable"));
            var good = doc.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString()!.EndsWith("good.pt"));
            Assert.Equal("clean", good.GetProperty("verdict").GetString());

            File.Copy(Path.Combine(RepoPaths.Root, "tests", "malicious", "os_system.pt"), Path.Combine(dir, "evil.pt"));
            Assert.Equal(ExitCodes.ScanDangerous, Run(json: false, strict: false, dir).Code);
            var table = Run(json: false, strict: false, dir).Stdout;
            Assert.Contains("4 unreadable", table);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_safetensors_file_is_readable_and_clean()
    {
        var st = new byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(st, 2);
        st[8] = (byte)'{'; st[9] = (byte)'}';
        Assert.Null(PtSharp.Scanning.PtScanner.ScanBytes(st).Unreadable);
    }
}
