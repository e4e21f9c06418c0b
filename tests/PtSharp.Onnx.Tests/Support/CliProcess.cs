using System.Diagnostics;

namespace PtSharp.Onnx.Tests.Support;

/// <summary>
/// Runs the built CLI (<c>pt.dll</c>, copied next to the test assembly through the project reference) as a separate
/// process under the same <c>dotnet</c> host, in the repository root, so relative paths such as
/// <c>samples/tiny_mlp.pt</c> resolve.
/// </summary>
internal static class CliProcess
{
    /// <summary>What a finished <c>pt</c> process left: its exit code and everything it wrote.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs <c>pt</c> with <paramref name="args"/> to the end; fails the test if it outlives <paramref name="timeout"/>.</summary>
    public static Result Run(TimeSpan timeout, params string[] args)
    {
        using var p = Start(args);
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(timeout), $"pt did not exit within {timeout.TotalSeconds:0} s");
        return new Result(p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Starts <c>pt</c> with <paramref name="args"/>, stdout and stderr redirected; the caller waits and disposes.</summary>
    public static Process Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "pt.dll");
        Assert.True(File.Exists(dll), $"{dll} not found; the test project should copy the CLI's output");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }
}
