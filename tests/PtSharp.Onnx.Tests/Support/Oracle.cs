using System.Diagnostics;

namespace PtSharp.Onnx.Tests.Support;

/// <summary>Runs a Python script under one of the real torch oracles (tools/oracle.sh): "1.13" or "2.6".</summary>
internal static class Oracle
{
    public static bool IsAvailable(string version)
    {
        var (code, _, _) = Run(version, ["-c", "import torch"], TimeSpan.FromMinutes(2));
        return code == 0;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string version, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tools", "oracle.sh"));
        psi.ArgumentList.Add(version);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, stdout.Result, $"timed out after {timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
