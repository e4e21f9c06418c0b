using PtSharp.Scanning;

namespace PtSharp.Tests.Scanning;

/// <summary>Verdicts are allowlist first, then denylist by module prefix (private aliases included), else unknown.</summary>
public sealed class ScanPolicyTests
{
    [Theory]
    [InlineData("torch._utils", "_rebuild_tensor_v2")]
    [InlineData("torch", "FloatStorage")]
    [InlineData("torch", "float32")]
    [InlineData("collections", "OrderedDict")]
    [InlineData("torch.serialization", "_get_layout")]
    [InlineData("_codecs", "encode")]
    [InlineData("__builtin__", "set")]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    [InlineData("numpy._core.multiarray", "scalar")]
    [InlineData("numpy", "dtype")]
    [InlineData("numpy.dtypes", "Float64DType")]
    [InlineData("torch", "storage.UntypedStorage")]
    public void Allowlisted_and_numpy_reconstructors_are_safe(string module, string name) =>
        Assert.Equal(GlobalVerdict.Safe, ScanPolicy.Classify(module, name).Verdict);

    [Theory]
    [InlineData("os", "system")]
    [InlineData("os.path", "join")]
    [InlineData("posix", "system")]
    [InlineData("nt", "system")]
    [InlineData("subprocess", "Popen")]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "exec")]
    [InlineData("builtins", "getattr")]
    [InlineData("__builtin__", "eval")]
    [InlineData("builtins", "__import__")]
    [InlineData("runpy", "run_path")]
    [InlineData("pip", "main")]
    [InlineData("pip._internal.cli.main", "main")]
    [InlineData("_operator", "attrgetter")]
    [InlineData("operator", "methodcaller")]
    [InlineData("importlib", "import_module")]
    [InlineData("pickle", "loads")]
    [InlineData("_pickle", "loads")]
    [InlineData("torch", "load")]
    [InlineData("torch.serialization", "load")]
    [InlineData("torch", "hub")]
    [InlineData("pdb", "run")]
    [InlineData("cProfile", "run")]
    [InlineData("socket", "create_connection")]
    [InlineData("commands", "getoutput")]
    [InlineData("webbrowser", "open")]
    [InlineData("torch", "serialization.os.system")]
    [InlineData("collections", "OrderedDict.__init__.__globals__")]
    [InlineData("torch._utils", "__builtins__")]
    [InlineData("numpy.testing._private.utils", "runstring")]
    public void Denylisted_globals_are_dangerous_with_a_reason(string module, string name)
    {
        var (verdict, reason) = ScanPolicy.Classify(module, name);
        Assert.Equal(GlobalVerdict.Dangerous, verdict);
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Theory]
    [InlineData("torchvision.models.resnet", "ResNet")]
    [InlineData("__main__", "Net")]
    [InlineData("argparse", "Namespace")]
    [InlineData("builtins", "slice")]
    [InlineData("copyreg", "_reconstructor")]
    [InlineData("osx", "thing")]
    [InlineData("mypackage", "Outer.Inner")]
    [InlineData("types", "SimpleNamespace")]
    public void Everything_else_is_unknown(string module, string name) =>
        Assert.Equal(GlobalVerdict.Unknown, ScanPolicy.Classify(module, name).Verdict);

    [Fact]
    public void Caller_allowlist_admits_unknown_globals_but_never_denylisted_ones()
    {
        var allowed = new HashSet<string> { "argparse.Namespace", "os.system" };
        Assert.Equal(GlobalVerdict.Safe, ScanPolicy.Classify("argparse", "Namespace", allowed).Verdict);
        Assert.Equal(GlobalVerdict.Dangerous, ScanPolicy.Classify("os", "system", allowed).Verdict);
    }

    [Fact]
    public void Every_denylist_entry_has_a_category_and_a_reason()
    {
        Assert.True(ScanPolicy.Denylist.Count > 100);
        foreach (var e in ScanPolicy.Denylist)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Category), e.Pattern);
            Assert.False(string.IsNullOrWhiteSpace(e.Reason), e.Pattern);
        }
        Assert.Equal(ScanPolicy.Denylist.Count, ScanPolicy.Denylist.Select(e => e.Pattern).Distinct().Count());
    }

    [Fact]
    public void Security_doc_lists_every_denylist_entry()
    {
        var doc = File.ReadAllText(Path.Combine(Support.RepoPaths.Root, "docs", "security.md"));
        foreach (var e in ScanPolicy.Denylist)
            Assert.True(doc.Contains("`" + e.Pattern + "`", StringComparison.Ordinal), $"docs/security.md does not list `{e.Pattern}`");
    }
}
