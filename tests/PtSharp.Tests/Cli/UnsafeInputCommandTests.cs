using System.Text.Json;
using PtSharp.Cli.Commands;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary>
/// <c>pt convert</c> refuses to copy a payload into a .pt unless <c>--keep-unsafe</c>; <c>pt inspect</c> shows the
/// scan verdict in its header and in <c>--json</c>.
/// </summary>
public sealed class UnsafeInputCommandTests
{
    private static string Malicious(string name) => Path.Combine(RepoPaths.Root, "tests", "malicious", name);

    [Theory]
    [InlineData("os_system.pt", "os.system")]
    [InlineData("invented_callable.pt", "somepkg.helpers.run_it")]
    [InlineData("logging_filehandler.pt", "logging.FileHandler")]
    public void Convert_refuses_a_dangerous_input_with_one_line_naming_the_global_and_record(string file, string global)
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-unsafe-").FullName;
        try
        {
            string output = Path.Combine(dir, "out.pt");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int rc = ConvertCommand.Run(stdout, stderr, Malicious(file), output, new ConvertCommand.Settings { Quiet = true });
            Assert.Equal(2, rc);
            var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(global, line);
            Assert.Contains("archive/data.pkl", line);
            Assert.Contains("--keep-unsafe", line);
            Assert.False(File.Exists(output));

            rc = ConvertCommand.Run(stdout, new StringWriter(), Malicious(file), output, new ConvertCommand.Settings { Quiet = true, KeepUnsafe = true });
            Assert.Equal(0, rc);
            Assert.True(File.Exists(output));

            string st = Path.Combine(dir, "out.safetensors");
            rc = ConvertCommand.Run(stdout, new StringWriter(), Malicious(file), st, new ConvertCommand.Settings { Quiet = true });
            Assert.Equal(0, rc);
            Assert.False(PtSharp.Scanning.PtScanner.ScanFile(st).IsDangerous);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Inspect_prints_the_scan_verdict_in_its_header_and_json()
    {
        var stdout = new StringWriter();
        InspectCommand.Run(stdout, new StringWriter(), Malicious("os_system.pt"), json: false, stats: false, code: false, strict: false);
        Assert.Contains(stdout.ToString().Split('\n').Take(3), l => l.StartsWith("Scan") && l.Contains("dangerous") && l.Contains("os.system"));

        stdout = new StringWriter();
        InspectCommand.Run(stdout, new StringWriter(), Malicious("os_system.pt"), json: true, stats: false, code: false, strict: false);
        using var doc = JsonDocument.Parse(stdout.ToString());
        var scan = doc.RootElement.GetProperty("scan");
        Assert.Equal("dangerous", scan.GetProperty("verdict").GetString());
        Assert.Contains(scan.GetProperty("dangerous").EnumerateArray(), f => f.GetProperty("global").GetString() == "os.system");

        stdout = new StringWriter();
        InspectCommand.Run(stdout, new StringWriter(), Path.Combine(RepoPaths.Fixtures, "torch-1.13", "mlp_state_dict.pt"), json: true, stats: false, code: false, strict: false);
        using var clean = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("clean", clean.RootElement.GetProperty("scan").GetProperty("verdict").GetString());
    }
}
