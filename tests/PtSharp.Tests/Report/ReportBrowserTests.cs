using System.Text.Json;
using System.Text.Json.Nodes;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Report;

/// <summary>
/// <c>pt report</c> pages loaded in a real headless chromium (DevTools protocol, networking disabled): every page
/// renders with no console error, no exception and no request but its own file; its screenshot is not blank; the
/// DOM holds the expected text; hostile key names stay text; the statistics equal torch 1.13's.
/// </summary>
public abstract class ReportBrowserTestsBase(ReportFixtureBase fixture, ITestOutputHelper output)
{
    private bool Skip()
    {
        if (fixture.SkipReason is null) return false;
        Assert.False(RepoPaths.IsCi, fixture.SkipReason);
        output.WriteLine("skipped: " + fixture.SkipReason);
        return true;
    }

    public static TheoryData<string, string[]> Pages => new()
    {
        { "tiny_mlp", ["tiny_mlp.pt", "state dict", "fc1.weight", "fc2.bias", "67", "clean", "Where the bytes are"] },
        { "resnet18", ["resnet18.pt", "11,689,512", "layer4", "conv1.weight", "layer1.0.bn1.running_var", "float32"] },
        { "resnet18_st", ["safetensors", "11,689,512", "layer4.1.conv2.weight", "Where the bytes are"] },
        { "resnet18_script", ["torchscript", "ResNet", "BasicBlock", "Conv2d", "layer4.1.conv2.weight", "11,689,512"] },
        { "ckpt_a", ["checkpoint", "epoch", "7", "best_acc", "config.arch", "'small_cnn'",
            "Optimizer optimizer_state_dict",
            "betas", "(0.9, 0.999)", "exp_avg_sq", "param group 0 (6 parameters)"] },
        { "diff", ["Compared with ckpt_a.pt", "different", "extra.weight", "bn.num_batches_tracked",
            "float64 → float32",
            "relative change"] },
        { "hostile", ["</script><script>window.__pwned=1</script>", "NaN/inf", "all zero", "std"] },
        { "many_20k", ["20,000 tensors", "block.0.p0", "block"] },
        { "os_system", ["dangerous", "os.system", "DangerousGlobal"] },
        { "truncated", ["could not be read"] },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_renders_offline_without_errors_and_shows_its_content(string page, string[] expected)
    {
        if (Skip()) return;
        var browser = fixture.Browser;
        double ms = browser.Load(fixture.Page(page));
        output.WriteLine($"{page}: ready in {ms:0} ms (page script {browser.Evaluate("window.ptRenderMs")} ms)");

        Assert.Empty(browser.Problems);
        string self = new Uri(fixture.Page(page)).AbsoluteUri;
        Assert.All(browser.Requests, url => Assert.Equal(self, url));

        string text = browser.Evaluate("document.body.textContent")!.GetValue<string>();
        foreach (var e in expected) Assert.Contains(e, text);

        var png = PngPixels.Decode(browser.Screenshot());
        Assert.Equal(1400, png.Width);
        Assert.True(png.NonBackgroundFraction() > 0.05, $"{page}: screenshot looks blank");
        Assert.True(png.DistinctColours() > 20, $"{page}: screenshot has only {png.DistinctColours()} colours");
        Assert.True(png.Near(20, 20, 0x1f2a3c), $"{page}: the title bar is not drawn");
        if (Environment.GetEnvironmentVariable("PTSHARP_REPORT_SCREENSHOTS") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, page + ".png"), browser.Screenshot(fullPage: true));
        }
    }

    [Fact]
    public void Hostile_key_names_stay_text_in_the_DOM()
    {
        if (Skip()) return;
        var browser = fixture.Browser;
        browser.Load(fixture.Page("hostile"));
        Assert.Empty(browser.Problems);
        Assert.Null(browser.Evaluate("window.__pwned"));
        Assert.Equal(2, browser.Evaluate("document.scripts.length")!.GetValue<int>());
        Assert.Equal(0, browser.Evaluate("document.images.length")!.GetValue<int>());
        foreach (var key in fixture.TorchStats.GetProperty("hostileKeys").EnumerateArray().Select(k => k.GetString()!))
        {
            string js = "Array.from(document.querySelectorAll('.vt .c0'))"
                        + ".some(e => e.firstChild && e.firstChild.nodeValue === "
                        + JsonSerializer.Serialize(key) + ")";
            Assert.True(browser.Evaluate(js)!.GetValue<bool>(), $"key {key} is not shown as text");
        }
        // The raw bytes: no string from the file can close the data block.
        string html = File.ReadAllText(fixture.Page("hostile"));
        Assert.Equal(2, html.Split("</script>").Length - 1); // the data block and the page script
        Assert.DoesNotContain("window.__pwned=1</script>", html);
    }

    [Fact]
    public void Highlights_mark_non_finite_all_zero_and_std_outliers()
    {
        if (Skip()) return;
        var data = ReportFixtureBase.DataOf(fixture.Page("hostile"));
        var flags = Rows(data).ToDictionary(r => r[0].GetString()!, r => r[Column(data, "flags")].GetInt32());
        Assert.Equal(2, flags["broken.weight"] & 2);
        Assert.Equal(1, flags["dead.weight"] & 1);
        Assert.Equal(4, flags["layers.6.weight"] & 4);
        for (int i = 0; i < 6; i++) Assert.Equal(0, flags[$"layers.{i}.weight"]);

        var browser = fixture.Browser;
        browser.Load(fixture.Page("hostile"));
        browser.Evaluate("document.getElementById('outliers').click()");
        var shown = browser.Evaluate(ShownNames)!
            .AsArray().Select(n => n!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["broken.weight", "dead.weight", "layers.6.weight"], shown);
    }

    [Fact]
    public void Statistics_and_histograms_equal_torch()
    {
        if (Skip()) return;
        int compared = 0;
        foreach (var file in fixture.TorchStats.GetProperty("stats").EnumerateObject())
        {
            var data = ReportFixtureBase.DataOf(fixture.Page(Path.GetFileNameWithoutExtension(file.Name)));
            var rows = Rows(data).ToDictionary(r => r[0].GetString()!);
            foreach (var key in file.Value.EnumerateObject())
            {
                Assert.True(rows.TryGetValue(key.Name, out var row),
                    $"{file.Name}: {key.Name} missing from the report");
                var want = key.Value;
                string where = $"{file.Name} {key.Name}";
                Close(want, "mean", row[Column(data, "mean")], where);
                Close(want, "std", row[Column(data, "std")], where);
                Close(want, "min", row[Column(data, "min")], where);
                Close(want, "max", row[Column(data, "max")], where);
                Close(want, "zeros", row[Column(data, "zeros")], where);
                Assert.Equal(want.GetProperty("nan").GetInt64(), row[Column(data, "nan")].GetInt64());
                Assert.Equal(want.GetProperty("inf").GetInt64(), row[Column(data, "inf")].GetInt64());
                if (want.TryGetProperty("hist", out var h) && h.ValueKind == JsonValueKind.Array)
                {
                    var expected = h.EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    var got = row[Column(data, "hist")].EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    Assert.Equal(expected.Sum(), got.Sum());
                    // Values on a bin edge may fall either side by one rounding step.
                    long moved = expected.Zip(got, (a, b) => Math.Abs(a - b)).Sum();
                    Assert.True(moved <= 2 + expected.Sum() / 1000,
                        $"{where}: histogram {string.Join(",", got)} vs torch {string.Join(",", expected)}");
                }
                compared++;
            }
        }
        string torch = fixture.TorchStats.GetProperty("torch").GetString()!;
        output.WriteLine($"{compared} tensors compared with torch {torch}");
        Assert.True(compared > 150);
    }

    [Fact]
    public void Twenty_thousand_tensors_are_virtualized_and_drawn_when_scrolled_into_view()
    {
        if (Skip()) return;
        var browser = fixture.Browser;
        double ms = browser.Load(fixture.Page("many_20k"));
        output.WriteLine($"many_20k: ready in {ms:0} ms");
        int rows = browser.Evaluate("document.querySelectorAll('.vt .row').length")!.GetValue<int>();
        Assert.InRange(rows, 10, 80);
        Assert.Equal("20,000 of 20,000 shown",
            browser.Evaluate("document.querySelector('.toolbar .count').textContent")!.GetValue<string>());
        browser.Evaluate("(() => { const b = document.querySelector('.vt .body'); b.scrollTop = b.scrollHeight; " +
                         "b.dispatchEvent(new Event('scroll')); "
                         + "return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); })()");
        var names = browser.Evaluate(ShownNames)!
            .AsArray().Select(n => n!.GetValue<string>()).ToArray();
        Assert.Contains("block.199.p99", names);
        Assert.DoesNotContain("block.0.p0", names);
        Assert.InRange(browser.Evaluate("document.querySelectorAll('.vt svg.spark').length")!.GetValue<int>(), 10, 80);
        Assert.Empty(browser.Problems);
    }

    [Fact]
    public void Clicking_a_row_shows_its_histogram_and_a_tree_node_filters_the_table()
    {
        if (Skip()) return;
        var browser = fixture.Browser;
        browser.Load(fixture.Page("resnet18"));
        browser.Evaluate("document.querySelector('.vt .row').click()");
        Assert.Equal("conv1.weight",
            browser.Evaluate("document.querySelector('.detail .title').textContent")!.GetValue<string>());
        int bars = browser.Evaluate("document.querySelectorAll('.detail svg.hist rect.bar').length")!.GetValue<int>();
        Assert.Equal(32, bars);
        browser.Evaluate("Array.from(document.querySelectorAll('.node .link'))"
                         + ".find(e => e.textContent === 'layer2').click()");
        Assert.Equal("layer2.", browser.Evaluate("document.querySelector('.toolbar input').value")!.GetValue<string>());
        Assert.StartsWith("30 of 122",
            browser.Evaluate("document.querySelector('.toolbar .count').textContent")!.GetValue<string>());
        Assert.Empty(browser.Problems);
    }

    private const string ShownNames =
        "Array.from(document.querySelectorAll('.vt .c0')).map(e => e.firstChild.nodeValue)";

    private static IEnumerable<JsonElement[]> Rows(JsonElement data) =>
        data.GetProperty("tensors").EnumerateArray().Select(r => r.EnumerateArray().ToArray());

    private static int Column(JsonElement data, string name) =>
        data.GetProperty("cols").EnumerateArray().Select(c => c.GetString()).ToList().IndexOf(name);

    private static void Close(JsonElement want, string property, JsonElement got, string where)
    {
        if (!want.TryGetProperty(property, out var w) || w.ValueKind == JsonValueKind.Null)
        {
            Assert.True(got.ValueKind == JsonValueKind.Null, $"{where}: {property} should be empty, report has {got}");
            return;
        }
        double expected = w.GetDouble(), actual = got.GetDouble();
        Assert.True(Math.Abs(expected - actual) <= 1e-12 + 1e-9 * Math.Abs(expected),
            $"{where}: {property} torch {expected:R} report {actual:R}");
    }
}

/// <summary>The report browser tests on files written by torch 1.13.</summary>
public sealed class ReportBrowserTests(ReportFixture fixture, ITestOutputHelper output)
    : ReportBrowserTestsBase(fixture, output), IClassFixture<ReportFixture>;

/// <summary>The report browser tests on files written by torch 2.6.</summary>
public sealed class ReportBrowserTorch26Tests(ReportFixture26 fixture, ITestOutputHelper output)
    : ReportBrowserTestsBase(fixture, output), IClassFixture<ReportFixture26>;
