using PtSharp.Loading;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Loading;

/// <summary>
/// Real <c>torch.save(..., _use_new_zipfile_serialization=False, pickle_protocol=0/1)</c> files from torch 1.13 and
/// 2.6 (tests/fixtures/generate.py, case legacy_protocols) through Checkpoint.Open and the CLI; the tensor values
/// against torch are checked by the golden tests (for protocol 0, against the tensors torch saved, since
/// torch.load cannot read protocol 0 back).
/// </summary>
public sealed class LegacyProtocolTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "torch-1.13", "torch-2.6" })
            foreach (var f in Directory.EnumerateFiles(Path.Combine(RepoPaths.Fixtures, dir), "legacy_p?_*.pt").Order())
                data.Add(Path.GetRelativePath(RepoPaths.Fixtures, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Checkpoint_open_reads_the_legacy_stream(string file)
    {
        using var c = Checkpoint.Open(Path.Combine(RepoPaths.Fixtures, file));
        Assert.NotEmpty(c.Tensors);
        using var pt = PtFile.Open(Path.Combine(RepoPaths.Fixtures, file));
        Assert.Equal(PtFormat.Legacy, pt.Format);
        Assert.Equal(0, pt.PickleProtocol); // protocols 0 and 1 have no PROTO opcode
    }

    [Fact]
    public void Inspect_and_convert_read_protocol_0_and_torch_loads_the_conversion()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-legacy-p0-").FullName;
        try
        {
            var src = Path.Combine(RepoPaths.Fixtures, "torch-2.6", "legacy_p0_dtypes.pt");
            var inspect = CliProcess.Run(TimeSpan.FromMinutes(1), "inspect", src);
            Assert.True(inspect.ExitCode == 0, inspect.Stderr);
            Assert.Contains("legacy", inspect.Stdout);
            var output = Path.Combine(dir, "converted.pt");
            var convert = CliProcess.Run(TimeSpan.FromMinutes(1), "convert", src, output);
            Assert.True(convert.ExitCode == 0, convert.Stderr);
            var script = Path.Combine(dir, "check.py");
            File.WriteAllText(script, """
                import sys, json, torch
                sd = torch.load(sys.argv[1])
                print(json.dumps({k: [str(v.dtype), list(v.shape)] for k, v in sd.items()}))
                """);
            var (code, stdout, stderr) = Oracle.Run("1.13", [script, output], TimeSpan.FromMinutes(2));
            Assert.True(code == 0, stderr);
            using var pt = PtFile.Open(src);
            foreach (var t in pt.Tensors) Assert.Contains($"\"{t.Name}\"", stdout);
            Assert.Contains("\"weight\": [\"torch.float32\", [3, 4]]", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
