using PtSharp.Cli.Output;
using PtSharp.Errors;

namespace PtSharp.Cli.Commands;

/// <summary>Runs a <c>pt quantize</c> / <c>pt prune</c> transform and turns its failures into one line and an exit code.</summary>
internal static class OptimizeRunner
{
    /// <summary>Runs <paramref name="transform"/>; 0 ok, 1 usage, 2 unreadable input, 3 write failure.</summary>
    public static int Run(TextWriter stderr, string inPath, string outPath, Action transform)
    {
        if (!File.Exists(inPath) && !Directory.Exists(inPath)) return Fail(stderr, $"error: no such file: {inPath}", ExitCodes.Unreadable);
        if (Directory.Exists(outPath)) return Fail(stderr, $"error: {outPath} is a directory", ExitCodes.Usage);
        if (SamePath(inPath, outPath)) return Fail(stderr, "error: the output would replace the input it is read from; write another file", ExitCodes.Usage);
        try
        {
            transform();
            return ExitCodes.Ok;
        }
        catch (PtFormatException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable); }
        catch (PtWriteException e) { return Fail(stderr, $"error: cannot write {outPath}: {e.Message}", ExitCodes.WriteFailed); }
        catch (ArgumentException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Usage); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, $"error: {e.Message}", ExitCodes.WriteFailed);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable);
        }
    }

    private static bool SamePath(string a, string b)
    {
        try
        {
            return File.Exists(b) && string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            return false;
        }
    }

    public static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return code;
    }

    /// <summary>Bytes as "1,234,567 bytes (1.2 MiB)".</summary>
    public static string Bytes(long n)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string human = n >= 1 << 30 ? (n / (double)(1 << 30)).ToString("0.00", inv) + " GiB"
            : n >= 1 << 20 ? (n / (double)(1 << 20)).ToString("0.0", inv) + " MiB"
            : n >= 1 << 10 ? (n / 1024.0).ToString("0.0", inv) + " KiB"
            : n.ToString(inv) + " B";
        return $"{n.ToString("N0", inv)} bytes ({human})";
    }
}
