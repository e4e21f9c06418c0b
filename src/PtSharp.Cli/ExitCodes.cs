namespace PtSharp.Cli;

/// <summary>Process exit codes of <c>pt</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Bad command line (unknown option, missing argument); System.CommandLine reports these itself.</summary>
    public const int Usage = 1;

    /// <summary>The input could not be read: missing, unreadable, malformed, or refused in strict mode.</summary>
    public const int Unreadable = 2;

    /// <summary>The output could not be written (<c>pt convert</c>); the previous output file is unchanged.</summary>
    public const int WriteFailed = 3;

    /// <summary>Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it); no output file was left behind.</summary>
    public const int Interrupted = 130;
}
