namespace PtSharp.TorchSharp.Tests.Support;

/// <summary>
/// The files Python/make_files.py writes: by torch 2.6 once per test run (one Python process, in a temporary
/// folder), and by torch 1.13 on the host beforehand (tools/test-all.sh runs prepare-host.sh and passes the folder
/// as PTSHARP_PREPARED_DIR).
/// </summary>
internal static class TorchFiles
{
    private static readonly Lazy<string> Torch26 = new(Generate26);

    public static IEnumerable<object[]> Versions => [["1.13"], ["2.6"]];

    /// <summary>The folder of <paramref name="version"/>'s files, or <see langword="null"/> (with the reason in
    /// <paramref name="skip"/>) when the 1.13 folder was not prepared outside CI.</summary>
    public static string? Folder(string version, out string skip)
    {
        skip = "";
        if (version == "2.6") return Torch26.Value;
        string? prepared = Environment.GetEnvironmentVariable("PTSHARP_PREPARED_DIR");
        string dir = prepared is null ? "" : Path.Combine(prepared, "torch-1.13");
        if (Directory.Exists(dir)) return dir;
        if (RepoPaths.IsCi) throw new InvalidOperationException("torch 1.13 files missing under CI: PTSHARP_PREPARED_DIR/torch-1.13 not found");
        skip = "torch 1.13 files not prepared (run tests/PtSharp.TorchSharp.Tests/prepare-host.sh DIR on the host and set PTSHARP_PREPARED_DIR=DIR); skipped";
        return null;
    }

    private static string Generate26()
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-torchsharp-26-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        Python.Run("make_files.py", dir);
        return dir;
    }
}
