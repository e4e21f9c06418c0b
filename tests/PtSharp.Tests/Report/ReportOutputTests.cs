using PtSharp.Report;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Report;

/// <summary>What <c>pt report</c> writes, without a browser: the same bytes every time, the CLI's page equals the
/// library's, unreadable inputs give one line and a non-zero exit, and the page holds no reference to anything outside
/// itself.</summary>
public sealed class ReportOutputTests
{
    private static string Sample => Path.Combine(RepoPaths.Samples, "tiny_mlp.pt");

    [Fact]
    public void Same_input_gives_the_same_bytes()
    {
        var fixtures = new[]
        {
            Sample,
            Path.Combine(RepoPaths.Fixtures, "torch-1.13", "checkpoint_adam.pt"),
            Path.Combine(RepoPaths.Fixtures, "torch-1.13", "torchscript_scripted.pt"),
            Path.Combine(RepoPaths.Fixtures, "torch-2.6", "full_model_user.pt"),
        };
        foreach (var f in fixtures)
        {
            byte[] first = HtmlReport.Render(f), second = HtmlReport.Render(f);
            Assert.Equal(first, second);
        }
        byte[] diff1 = HtmlReport.Render(fixtures[1], new ReportOptions { DiffPath = fixtures[1] });
        Assert.Equal(diff1, HtmlReport.Render(fixtures[1], new ReportOptions { DiffPath = fixtures[1] }));
    }

    [Fact]
    public void Cli_writes_the_library_page_and_says_where()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-report-cli-");
        try
        {
            string output = Path.Combine(dir.FullName, "sample.html");
            var r = CliProcess.Run(TimeSpan.FromMinutes(1), "report", Sample, "-o", output);
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("sample.html", r.Stdout);
            Assert.Equal(HtmlReport.Render(Sample), File.ReadAllBytes(output));
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left behind
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("no/such/file.pt", "no such file")]
    [InlineData("tests", "is a directory")]
    public void Unreadable_input_gives_one_line_and_exit_2(string path, string message)
    {
        var r = CliProcess.Run(TimeSpan.FromMinutes(1), "report", path, "-o",
            Path.Combine(Path.GetTempPath(), "never.html"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Unreadable_diff_file_gives_one_line_and_exit_2()
    {
        string bad = Path.Combine(RepoPaths.Root, "tests", "malicious", "broken_truncated.pkl");
        var r = CliProcess.Run(TimeSpan.FromMinutes(1), "report", Sample, "--diff", bad, "-o",
            Path.Combine(Path.GetTempPath(), "never.html"));
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Page_is_self_contained_and_locked_down()
    {
        // The SVG namespace name is an identifier, not something fetched.
        string html = System.Text.Encoding.UTF8.GetString(HtmlReport.Render(Sample))
            .Replace("\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy\" content=\"default-src 'none'", html);
        foreach (var reference in new[] { "http:", "https:", "//cdn", "src=", "href=", "@import", "url(", "fetch(",
            "XMLHttpRequest", "innerHTML", "eval(" })
            Assert.DoesNotContain(reference, html);
    }
}

/// <summary>Every committed fixture and hostile file gets a page: odd dtypes, views, sparse, quantized, meta,
/// big-endian, legacy and broken files included; nothing escapes as an exception.</summary>
public sealed class ReportCorpusTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "tests/fixtures/torch-1.13", "tests/fixtures/torch-2.6", "tests/fixtures/handbuilt",
            "tests/malicious" })
        {
            string full = Path.Combine(RepoPaths.Root, dir);
            if (!Directory.Exists(full)) continue;
            foreach (var f in Directory.GetFiles(full).Order(StringComparer.Ordinal))
                if (!f.EndsWith(".json", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal))
                    data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_file_gets_a_page(string file)
    {
        string path = Path.Combine(RepoPaths.Root, file);
        byte[] page;
        try
        {
            page = HtmlReport.Render(path);
        }
        catch (IOException e) when (e.Message.Contains("directory", StringComparison.Ordinal))
        {
            return;
        }
        string html = System.Text.Encoding.UTF8.GetString(page);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Equal(2, html.Split("</script>").Length - 1);
        // Same bytes again (the hostile files' scans are slow enough to leave them to the other tests).
        if (!file.StartsWith("tests/malicious", StringComparison.Ordinal)) Assert.Equal(page, HtmlReport.Render(path));
    }
}
