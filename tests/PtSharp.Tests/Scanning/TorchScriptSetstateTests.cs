using System.IO.Compression;
using System.Text;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>
/// TorchScript archives whose scripted <c>__setstate__</c> torch.jit.load runs (CVE-2025-32434), written by real
/// torch 2.6 (tests/fixtures/torchscript_setstate.py, which also checks that loading really writes the twin's file):
/// the methods are judged by the ops they call.
/// </summary>
public sealed class TorchScriptSetstateTests
{
    private static string Sample(string name) =>
        Path.Combine(RepoPaths.Fixtures, "torchscript-setstate", $"torchscript_{name}.pt");

    [Fact]
    public void A_setstate_that_calls_torch_save_is_dangerous()
    {
        var r = PtScanner.ScanFile(Sample("setstate_save"));
        Assert.True(r.IsDangerous);
        var f = Assert.Single(r.Findings, f => f.Severity == ScanSeverity.Dangerous);
        Assert.Equal("torch.save", f.Global);
        Assert.EndsWith("code/__torch__.py", f.Record);
    }

    [Fact]
    public void A_setstate_that_only_assigns_attributes_and_does_arithmetic_is_not_dangerous()
    {
        var r = PtScanner.ScanFile(Sample("setstate_benign"));
        Assert.False(r.IsDangerous, string.Join("\n", r.Findings.Select(f => f.Message)));
    }

    /// <summary>The real archive with its __setstate__ body replaced (the zip rewritten member by member).</summary>
    private static ScanReport WithSetstateBody(string body)
    {
        using var input = ZipFile.OpenRead(Sample("setstate_benign"));
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var e in input.Entries)
            {
                using var src = e.Open();
                var bytes = new MemoryStream();
                src.CopyTo(bytes);
                var content = bytes.ToArray();
                if (e.FullName.EndsWith("code/__torch__.py", StringComparison.Ordinal))
                {
                    var code = Encoding.UTF8.GetString(content);
                    const string Old = "    self.w = torch.mul((state)[0], 1.)\n";
                    Assert.Contains(Old, code);
                    content = Encoding.UTF8.GetBytes(code.Replace(Old, body, StringComparison.Ordinal));
                }
                var entry = zip.CreateEntry(e.FullName, CompressionLevel.NoCompression);
                using var dst = entry.Open();
                dst.Write(content);
            }
        return PtScanner.ScanBytes(output.ToArray(), "edited.pt");
    }

    [Theory]
    [InlineData("    ops.aten.save((state)[0], \"/tmp/x\")\n", "ops.aten.save")]
    [InlineData("    torch.load(\"/tmp/other.pt\")\n", "torch.load")]
    [InlineData("    ops.myext.run_command(\"id\")\n", "ops.myext.run_command")]
    [InlineData("    torch.ops.evil_ns.launch((state)[0])\n", "torch.ops.evil_ns.launch")]
    [InlineData("    ops.prim.SomethingNew((state)[0])\n", "ops.prim.SomethingNew")]
    [InlineData("    open(\"/tmp/x\", \"w\")\n", "open")]
    public void Side_effect_ops_in_setstate_are_dangerous(string body, string op)
    {
        var r = WithSetstateBody(body + "    self.w = (state)[0]\n");
        Assert.Contains(r.Findings, f => f.Severity == ScanSeverity.Dangerous && f.Global == op);
    }

    [Fact]
    public void A_method_called_from_setstate_is_judged_too()
    {
        var r = WithSetstateBody("    self.w = (state)[0]\n    _0 = (self).helper()\n");
        Assert.False(r.IsDangerous); // helper is not defined: nothing to judge, the call itself is not a side effect
        var helper = WithSetstateBody("    self.w = (state)[0]\n    self.restore((state)[0])\n"
            + "  def restore(self: __torch__.Benign, t: Tensor) -> NoneType:\n    torch.save(t, \"/tmp/x\")\n"
            + "    return None\n");
        Assert.Contains(helper.Findings, f => f.Severity == ScanSeverity.Dangerous && f.Global == "torch.save");
    }

    [Theory]
    [InlineData("    self.w = torch.add(torch.mul((state)[0], 2.), 1)\n")]
    [InlineData("    self.w = ops.aten.clone((state)[0])\n")]
    [InlineData("    self.w = ops.prim.unchecked_cast(Tensor, (state)[0])\n")]
    public void Pure_ops_in_setstate_are_not_dangerous(string body)
    {
        Assert.False(WithSetstateBody(body).IsDangerous);
    }

    [Fact]
    public void Torch_fixtures_with_scripted_modules_stay_free_of_code_findings()
    {
        foreach (var dir in new[] { "torch-1.13", "torch-2.6" })
            foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoPaths.Fixtures, dir), "torchscript*.pt"))
                Assert.DoesNotContain(PtScanner.ScanFile(path).Findings, f => f.Record?.EndsWith(".py") == true);
    }
}
