namespace PtSharp.TorchSharp.Tests.Support;

/// <summary>Locates the repository from the test assembly's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>True under CI, where a missing torch 1.13 folder is a failure rather than a skip.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PtSharp.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (PtSharp.slnx) not found above " + AppContext.BaseDirectory);
    }
}
