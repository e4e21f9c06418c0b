using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary>
/// <c>pt convert … OUT.onnx</c> follows the output rules every other output follows (real <c>pt</c> processes):
/// an existing OUT only with <c>--force</c>, never the <c>--like</c> file, a missing folder named, no
/// <c>--dry-run</c> pretending to work.
/// </summary>
public sealed class OnnxOutputRulesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-onnx-rules-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static CliProcess.Result Pt(params string[] args) => CliProcess.Run(TimeSpan.FromSeconds(60), args);

    private string Existing(string name, string text)
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertOneLine(CliProcess.Result r, int exitCode, string contains)
    {
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains(contains, r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    [Fact]
    public void An_existing_output_is_kept_without_force()
    {
        string output = Existing("model.onnx", "keep me");
        AssertOneLine(Pt("convert", CliTestFiles.TinyMlp, output), 1, "exists: pass --force");
        Assert.Equal("keep me", File.ReadAllText(output));
    }

    [Fact]
    public void The_like_file_is_never_the_output()
    {
        string like = Existing("exported.onnx", "the graph");
        var r = Pt("convert", CliTestFiles.TinyMlp, like, "--like", like, "--force");
        AssertOneLine(r, 1, "is the --like file");
        Assert.Equal("the graph", File.ReadAllText(like));
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        string output = Path.Combine(_dir.FullName, "no-such-folder", "m.onnx");
        AssertOneLine(Pt("convert", CliTestFiles.TinyMlp, output), 3, "no-such-folder");
    }

    [Fact]
    public void Dry_run_says_it_does_not_apply()
    {
        string output = Path.Combine(_dir.FullName, "m.onnx");
        AssertOneLine(Pt("convert", CliTestFiles.TinyMlp, output, "--dry-run"), 1, "--dry-run is not supported");
        Assert.False(File.Exists(output));
    }
}
