using System.Diagnostics;
using System.Text;
using PtSharp.Report;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Report;

/// <summary>
/// Not a test: the measurements behind bench/REPORT.md, run only when <c>PTSHARP_REPORT_BENCH</c> names the folder
/// holding bench/make_bench_data.py's files. Times report generation (in process and through the real
/// <c>pt report</c> process) and page load in headless chromium, best of three; nothing is asserted about time.
/// </summary>
public sealed class ReportBenchmark(ITestOutputHelper output)
{
    [Fact]
    public void Measure_generation_and_page_load()
    {
        if (Environment.GetEnvironmentVariable("PTSHARP_REPORT_BENCH") is not { Length: > 0 } data)
        {
            output.WriteLine("set PTSHARP_REPORT_BENCH=/tmp/ptsharp-bench to measure (bench/REPORT.md)");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-report-bench-");
        var table = new StringBuilder(
            "| file | in-process render (ms) | `pt report` process (ms) | page size | page ready in chromium (ms) "
            + "| page script (ms) |\n|---|---:|---:|---:|---:|---:|\n");
        using var browser = HeadlessChromium.Start();
        try
        {
            foreach (var name in new[] { "resnet18.pt", "many_20k.pt", "big_1gib.pt" })
            {
                string input = Path.Combine(data, name), page = Path.Combine(work.FullName, name + ".html");
                _ = File.ReadAllBytes(input).Length; // warm the page cache like a second run would
                double render = Best(() => HtmlReport.Render(input));
                double cli = Best(() => Assert.Equal(0,
                    CliProcess.Run(TimeSpan.FromMinutes(5), "report", input, "-o", page).ExitCode));
                double load = double.MaxValue, script = 0;
                for (int i = 0; i < 3; i++)
                {
                    double ms = browser.Load(page);
                    Assert.Empty(browser.Problems);
                    if (ms < load) { load = ms; script = browser.Evaluate("window.ptRenderMs")!.GetValue<double>(); }
                }
                double mib = new FileInfo(page).Length / 1024.0 / 1024.0;
                table.Append($"| {name} | {render:0} | {cli:0} | {mib:0.00} MiB | {load:0} | {script:0} |\n");
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
        output.WriteLine(table.ToString());
        if (Environment.GetEnvironmentVariable("PTSHARP_REPORT_BENCH_OUT") is { Length: > 0 } outFile)
            File.WriteAllText(outFile, table.ToString());
    }

    private static double Best(Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
