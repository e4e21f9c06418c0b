using System.Diagnostics;

namespace PtSharp.TorchSharp.Tests.Support;

/// <summary>
/// Runs Python with torch 2.6 or 1.13. Inside the Debian 13 chroot (PTSHARP_IN_CHROOT=1, where this suite runs)
/// torch 2.6 is plain <c>python3</c> and torch 1.13 is reached through the host oracle bridge
/// (<see cref="HostOracleBridge"/>); elsewhere tools/oracle.sh VERSION.
/// </summary>
internal static class Python
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    public static bool InChroot => Environment.GetEnvironmentVariable("PTSHARP_IN_CHROOT") == "1";

    public static void Run(string script, params string[] args) => RunWith("2.6", script, args);

    /// <summary>True when <see cref="RunWith"/> can reach torch
    /// <paramref name="version"/>; otherwise <paramref name="skip"/> says why (a failure under CI).</summary>
    public static bool Available(string version, out string skip)
    {
        skip = "";
        if (version != "1.13" || !InChroot || HostOracleBridge.Folder is not null) return true;
        if (RepoPaths.IsCi)
            throw new InvalidOperationException(
                $"torch 1.13 unreachable under CI: {HostOracleBridge.Variable} not set (tools/test-all.sh sets it)");
        skip = $"torch 1.13 not reachable from the chroot ({HostOracleBridge.Variable} not set: run the suite "
            + "through tools/test-all.sh, which starts tools/host-oracle-bridge.sh); skipped";
        return false;
    }

    public static void RunWith(string version, string script, params string[] args)
    {
        string path = Path.Combine(RepoPaths.Root, "tests", "PtSharp.TorchSharp.Tests", "Python", script);
        if (version == "1.13" && InChroot)
        {
            var (rc, stdout, stderr) = HostOracleBridge.Run([path, .. args], Limit + TimeSpan.FromMinutes(1));
            if (rc != 0)
                throw new InvalidOperationException($"{script} (torch 1.13, host) failed ({rc}):\n{stderr}\n{stdout}");
            return;
        }
        var psi = InChroot && version == "2.6" ? new ProcessStartInfo("python3") : new ProcessStartInfo("bash");
        if (!InChroot)
        {
            psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tools", "oracle.sh"));
            psi.ArgumentList.Add(version);
        }
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = RepoPaths.Root;
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} ran more than 5 minutes");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{script} (torch {version}) failed ({p.ExitCode}):\n"
                + $"{stderrTask.Result}\n{stdoutTask.Result}");
    }
}
