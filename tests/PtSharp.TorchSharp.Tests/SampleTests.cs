using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PtSharp.TorchSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.TorchSharp.Tests;

/// <summary>
/// Runs samples/TorchSharpClassify the way the README says (its built dll under <c>dotnet</c>, here inside the
/// Debian 13 chroot the suite runs in) and checks its printed top-5 against torch 2.6's top-5 on the same input:
/// the shipped complete pickled CNN (no argument) and a torchvision resnet18 state dict written by torch
/// (<c>--resnet18-state-dict</c>). Same classes in the same order; probabilities as printed (4 decimals).
/// </summary>
public sealed partial class SampleTests(ITestOutputHelper output)
{
    private static readonly Lazy<(string Dir, JsonElement Top5)> Torch = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-sample-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        };
        Python.Run("sample_top5.py", dir);
        return (dir, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "top5.json"))).RootElement.Clone());
    });

    [Theory]
    [InlineData("tiny_cnn")]
    [InlineData("resnet18")]
    public void The_sample_prints_torchs_top5(string mode)
    {
        var (dir, top5) = Torch.Value;
        string[] args = mode == "tiny_cnn" ? [] : [Path.Combine(dir, "resnet18_1000.pt"), "--resnet18-state-dict"];
        string stdout = RunSample(args);
        output.WriteLine(stdout);
        var printed = ClassLine().Matches(stdout)
            .Select(m => (Class: long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                P: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();
        var expected = top5.GetProperty(mode).EnumerateArray()
            .Select(e => (Class: e[0].GetInt64(), P: e[1].GetDouble())).ToList();
        Assert.Equal(5, printed.Count);
        Assert.Equal(expected.Select(e => e.Class), printed.Select(p => p.Class));
        for (int i = 0; i < 5; i++)
            Assert.True(Math.Abs(printed[i].P - expected[i].P) <= 6e-5,
                $"class {printed[i].Class}: sample printed {printed[i].P}, torch {expected[i].P}");
    }

    private static string RunSample(string[] args)
    {
        string dll = Path.Combine(RepoPaths.Root, "samples", "TorchSharpClassify", "bin", "Release", "net10.0",
            "TorchSharpClassify.dll");
        Assert.True(File.Exists(dll),
            $"the sample is not built: {dll} (dotnet build samples/TorchSharpClassify -c Release)");
        var psi = new ProcessStartInfo(DotnetHost()) { WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the sample ran more than 3 minutes");
        }
        Assert.True(p.ExitCode == 0, $"the sample exited {p.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    private static string DotnetHost()
    {
        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        return root is not null && File.Exists(Path.Combine(root, "dotnet")) ? Path.Combine(root, "dotnet") : "dotnet";
    }

    [GeneratedRegex(@"^class (\d+): ([0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ClassLine();
}
