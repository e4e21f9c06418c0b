namespace PtSharp.Cli.Options;

/// <summary>A problem the user can fix, with the one line <c>pt</c> prints for it (after <c>error: </c>).</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    /// <summary>The process exit code for this problem.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>
    /// The reason of an I/O failure in words, without .NET type names or the temporary paths the message may hold:
    /// "permission denied", "no space left on the device", or the OS's own message.
    /// </summary>
    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "the folder does not exist",
        FileNotFoundException => "no such file",
        IOException io when (io.HResult & 0xFFFF) == 28 => "no space left on the device",
        _ => e.Message,
    };
}
