using System.Text;
using System.Text.Json;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Report;

/// <summary>The report browser tests' inputs made by torch 1.13.</summary>
public sealed class ReportFixture() : ReportFixtureBase("1.13");

/// <summary>
/// The report browser tests' inputs made by torch 2.6 (tensor <c>step</c> in Adam state, newer TorchScript).
/// </summary>
public sealed class ReportFixture26() : ReportFixtureBase("2.6");

/// <summary>
/// Shared by the report browser tests: a real torch writes the inputs once (tests/interop/report_inputs.py: resnet18
/// state dict and TorchScript, two Adam checkpoints, a hostile state dict, 20,000 tensors, and torch's statistics),
/// the real <c>pt report</c> process writes each page, and one headless chromium loads them.
/// </summary>
public abstract class ReportFixtureBase : IDisposable
{
    private readonly DirectoryInfo _work;
    private HeadlessChromium? _browser;

    protected ReportFixtureBase(string torch)
    {
        Torch = torch;
        _work = Directory.CreateTempSubdirectory("ptsharp-report-");
        if (!HeadlessChromium.IsInstalled || !Oracle.IsAvailable(torch))
        {
            SkipReason = $"chromium or the torch {torch} oracle is not installed (run tools/setup-oracles.sh)";
            return;
        }
        var (code, stdout, stderr) = Oracle.Run(torch,
            [Path.Combine(RepoPaths.Root, "tests", "interop", "report_inputs.py"), Inputs], TimeSpan.FromMinutes(5));
        if (code != 0) throw new InvalidOperationException($"report_inputs.py failed ({code}): {stderr}\n{stdout}");
        TorchStats = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Inputs, "stats.json"))).RootElement;
        var convert = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", Input("resnet18.pt"),
            Input("resnet18.safetensors"));
        if (convert.ExitCode != 0) throw new InvalidOperationException("pt convert failed: " + convert.Stderr);
        var jobs = new List<(string Name, string[] Args)>
        {
            ("resnet18_st", [Input("resnet18.safetensors")]),
            ("tiny_mlp", [Path.Combine(RepoPaths.Samples, "tiny_mlp.pt")]),
            ("resnet18", [Input("resnet18.pt")]),
            ("resnet18_script", [Input("resnet18_script.pt")]),
            ("ckpt_a", [Input("ckpt_a.pt")]),
            ("diff", [Input("ckpt_b.pt"), "--diff", Input("ckpt_a.pt")]),
            ("hostile", [Input("hostile.pt")]),
            ("many_20k", [Input("many_20k.pt")]),
            ("os_system", [Path.Combine(RepoPaths.Root, "tests", "malicious", "os_system.pt")]),
            ("truncated", [Path.Combine(RepoPaths.Root, "tests", "malicious", "broken_truncated.pkl")]),
        };
        // Two pt processes at a time: the machine has two cores.
        var failures = new List<string>();
        Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = 2 }, job =>
        {
            var r = CliProcess.Run(TimeSpan.FromMinutes(2), ["report", .. job.Args, "-o", Page(job.Name)]);
            if (r.ExitCode != 0 || !File.Exists(Page(job.Name)))
                lock (failures) failures.Add($"{job.Name}: exit {r.ExitCode}: {r.Stderr}");
        });
        if (failures.Count > 0) throw new InvalidOperationException(string.Join("\n", failures));
    }

    /// <summary>The torch version that wrote the inputs.</summary>
    public string Torch { get; }

    /// <summary>Why the tests cannot run here, or null.</summary>
    public string? SkipReason { get; }

    public string Inputs => Path.Combine(_work.FullName, "in");

    public JsonElement TorchStats { get; }

    public string Input(string name) => Path.Combine(Inputs, name);

    public string Page(string name) => Path.Combine(_work.FullName, name + ".html");

    /// <summary>The browser, started on first use.</summary>
    internal HeadlessChromium Browser => _browser ??= HeadlessChromium.Start();

    /// <summary>The JSON data block embedded in a page.</summary>
    public static JsonElement DataOf(string pagePath)
    {
        string html = File.ReadAllText(pagePath, Encoding.UTF8);
        const string open = "<script type=\"application/json\" id=\"pt-data\">";
        int start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        int end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        return JsonDocument.Parse(html[start..end]).RootElement;
    }

    public void Dispose()
    {
        _browser?.Dispose();
        try
        {
            _work.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
