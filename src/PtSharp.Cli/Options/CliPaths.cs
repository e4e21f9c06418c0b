namespace PtSharp.Cli.Options;

/// <summary>Checks on paths given on the command line, with messages that name the problem.</summary>
internal static class CliPaths
{
    /// <summary>Throws <see cref="CliException"/> "empty NAME" for an empty or blank path.</summary>
    public static void RequireNonEmpty(string? path, string name)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new CliException($"the {name} is empty: give a file name");
    }
}
