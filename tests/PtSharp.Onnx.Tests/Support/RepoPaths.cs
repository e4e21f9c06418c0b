namespace PtSharp.Onnx.Tests.Support;

/// <summary>Locates folders of the repository from the test assembly's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");
    public static string Samples => Path.Combine(Root, "samples");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PtSharp.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (PtSharp.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>True when running under CI, where missing oracles are failures rather than skips.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
