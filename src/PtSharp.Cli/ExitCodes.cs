namespace PtSharp.Cli;

/// <summary>
/// Process exit codes of <c>pt</c>, every command's in one place. <c>scan</c> and <c>diff</c> give 1 and 2 their
/// own meaning (as grep and diff(1) do); the other commands use <see cref="Usage"/>, <see cref="Unreadable"/>
/// and <see cref="WriteFailed"/>.
/// </summary>
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

    /// <summary><c>pt scan</c>: at least one dangerous finding, or with <c>--strict</c> at least one warning.</summary>
    public const int ScanDangerous = 1;

    /// <summary><c>pt scan</c>: a path could not be read or the output could not be written; nothing dangerous was found.</summary>
    public const int ScanError = 2;

    /// <summary><c>pt diff</c>: something differs (keys, dtypes, shapes or values beyond tolerance).</summary>
    public const int DiffDifferent = 1;

    /// <summary><c>pt diff</c>: a file cannot be read, or the command line is invalid (as diff(1) reports trouble).</summary>
    public const int DiffTrouble = 2;
}
