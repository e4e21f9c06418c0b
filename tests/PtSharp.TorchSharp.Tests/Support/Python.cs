using System.Diagnostics;

namespace PtSharp.TorchSharp.Tests.Support;

/// <summary>
/// Runs Python with torch 2.6: inside the Debian 13 chroot (PTSHARP_IN_CHROOT=1, where this suite runs) that is
/// plain <c>python3</c>; elsewhere tools/oracle.sh 2.6. Torch 1.13 is not reachable inside the chroot: its files come
/// from the host pre-step (prepare-host.sh, PTSHARP_PREPARED_DIR).
/// </summary>
internal static class Python
{
    public static bool InChroot => Environment.GetEnvironmentVariable("PTSHARP_IN_CHROOT") == "1";

    public static void Run(string script, params string[] args)
    {
        var psi = InChroot ? new ProcessStartInfo("python3") : new ProcessStartInfo("bash");
        if (!InChroot)
        {
            psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tools", "oracle.sh"));
            psi.ArgumentList.Add("2.6");
        }
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "PtSharp.TorchSharp.Tests", "Python", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = RepoPaths.Root;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} ran more than 5 minutes");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed ({p.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
    }
}
