using System.Diagnostics;

namespace PtSharp.TorchSharp.Tests.Support;

/// <summary>
/// The client of tools/host-oracle-bridge.sh: runs a script under the host's torch 1.13 from inside the chroot
/// (two glibc / C++ runtime generations cannot share a process). tools/test-all.sh starts the bridge for the
/// suite and names its folder in <c>PTSHARP_ORACLE_BRIDGE</c>; the protocol is described in the script.
/// </summary>
internal static class HostOracleBridge
{
    public const string Variable = "PTSHARP_ORACLE_BRIDGE";

    /// <summary>The bridge's folder, or <see langword="null"/> when the variable is not set.</summary>
    public static string? Folder =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } dir ? dir : null;

    /// <summary>Runs <c>tools/oracle.sh 1.13 SCRIPT ARGS...</c> on the host and waits for its answer.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(IReadOnlyList<string> scriptAndArgs,
        TimeSpan timeout)
    {
        string dir = Folder ?? throw new InvalidOperationException($"{Variable} is not set: no host oracle bridge");
        int pid = BridgePid(dir);
        string id = $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        string requests = Path.Combine(dir, "requests"), tmp = Path.Combine(requests, id + ".tmp");
        File.WriteAllText(tmp, string.Concat(scriptAndArgs.Select(a => a + "\0")));
        File.Move(tmp, Path.Combine(requests, id + ".req"));
        string response = Path.Combine(dir, "responses", id);
        var clock = Stopwatch.StartNew();
        while (!Directory.Exists(response))
        {
            if (!Directory.Exists($"/proc/{pid}"))
                throw new InvalidOperationException(
                    $"the host oracle bridge (pid {pid}, {dir}) stopped before answering");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"the host oracle bridge did not answer within {timeout.TotalSeconds:F0} s");
            Thread.Sleep(25);
        }
        try
        {
            return (int.Parse(File.ReadAllText(Path.Combine(response, "rc")).Trim()),
                File.ReadAllText(Path.Combine(response, "stdout")), File.ReadAllText(Path.Combine(response, "stderr")));
        }
        finally { Directory.Delete(response, true); }
    }

    private static int BridgePid(string dir)
    {
        string file = Path.Combine(dir, "bridge.pid");
        // The bridge writes its pid right after test-all.sh starts it; allow it a moment.
        for (int i = 0; i < 200 && !File.Exists(file); i++) Thread.Sleep(25);
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), out int pid)
            || !Directory.Exists($"/proc/{pid}"))
            throw new InvalidOperationException(
                $"{Variable}={dir} but no host oracle bridge runs there (tools/host-oracle-bridge.sh, started by "
                + "tools/test-all.sh)");
        return pid;
    }
}
