using System.Text;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>
/// A first global whose module or name is not a Python identifier used to make the scanner decide "not a pickle"
/// and skip it; CPython imports any module the import system finds (a file <c>my-helpers.py</c> is the module
/// <c>my-helpers</c>), so these pickles run and must be scanned. The harmless twin is run by real Python.
/// </summary>
public sealed class NonIdentifierGlobalTests
{
    private static byte[] Call(string module, string name, string arg) =>
        Encoding.UTF8.GetBytes($"c{module}\n{name}\n(S'{arg}'\ntR.");

    [Theory]
    [InlineData("my-helpers", "run")]
    [InlineData("2fa", "run")]
    [InlineData("helpers", "run-it")]
    [InlineData("pkg..mod", "run")]
    public void A_protocol_0_pickle_whose_first_global_is_not_an_identifier_is_scanned(string module, string name)
    {
        var r = PtScanner.ScanBytes(Call(module, name, "x"), "evil.pkl");
        Assert.Equal(ScanContainer.Pickle, r.Container);
        Assert.True(r.IsDangerous, r.ToString());
        Assert.Contains(r.Findings, f => f.Severity == ScanSeverity.Dangerous && f.Global == module + "." + name);
    }

    [Fact]
    public void A_second_pickle_whose_first_global_is_not_an_identifier_is_scanned()
    {
        byte[] bytes = [.. "I1\n."u8.ToArray(), .. Call("my-helpers", "run", "x")];
        var r = PtScanner.ScanBytes(bytes, "two.pkl");
        Assert.Equal(2, r.PickleCount);
        Assert.Contains(r.Findings, f => f.Severity == ScanSeverity.Dangerous && f.Global == "my-helpers.run");
    }

    [Fact]
    public void Text_with_spaces_is_still_not_a_pickle()
    {
        var r = PtScanner.ScanBytes("cd /tmp\nrm -rf build\n(ls\nt."u8.ToArray(), "notes.txt");
        Assert.Equal(ScanContainer.Unknown, r.Container);
        Assert.False(r.IsDangerous);
    }

    [Fact]
    public void Python_runs_such_a_pickle_when_the_module_is_on_its_path()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-nonident-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "my-helpers.py"), "def run(x):\n    print('PTSHARP-RAN-' + x)\n");
            var pkl = Path.Combine(dir, "evil.pkl");
            File.WriteAllBytes(pkl, Call("my-helpers", "run", "twin"));
            var script = Path.Combine(dir, "load.py");
            File.WriteAllText(script, "import pickle, sys\nsys.path.insert(0, sys.argv[1])\n" +
                "pickle.loads(open(sys.argv[2], 'rb').read())\n");
            var (code, stdout, stderr) = Oracle.Run("1.13", [script, dir, pkl], TimeSpan.FromMinutes(1));
            Assert.True(code == 0, stderr);
            Assert.Contains("PTSHARP-RAN-twin", stdout);
            Assert.True(PtScanner.ScanFile(pkl).IsDangerous);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
