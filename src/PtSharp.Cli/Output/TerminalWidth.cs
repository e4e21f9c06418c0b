namespace PtSharp.Cli.Output;

/// <summary>
/// How wide human-readable output may be. <c>COLUMNS</c> wins when set (so <c>COLUMNS=80 pt inspect x | less</c>
/// and tests behave like an 80-column terminal); otherwise the console's width when <paramref name="writer"/> is the
/// terminal; otherwise (a pipe, a file, a test's StringWriter) unlimited, so grep and diff see whole lines.
/// </summary>
internal static class TerminalWidth
{
    /// <summary>Used when nothing limits the width: wide enough that no table is ever wrapped.</summary>
    public const int Unlimited = 4096;

    /// <summary>Narrowest width honoured: below it tables cannot show one character per column.</summary>
    public const int Minimum = 40;

    /// <summary>The width for output written to <paramref name="writer"/>.</summary>
    public static int For(TextWriter writer)
    {
        if (FromEnvironment() is int columns) return columns;
        if (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected) return ConsoleWidth();
        if (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected) return ConsoleWidth();
        return Unlimited;
    }

    /// <summary><c>COLUMNS</c> as a width, or null when unset or not a positive number.</summary>
    public static int? FromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int c) && c > 0 ? Math.Max(c, Minimum) : null;

    private static int ConsoleWidth()
    {
        try
        {
            int w = Console.WindowWidth;
            return w > 0 ? Math.Max(w, Minimum) : 80;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return 80;
        }
    }
}
