using PtSharp.Scanning;

namespace PtSharp.TorchSharp;

/// <summary>
/// The scanner found something dangerous in a file (a global that executes code, a hostile container), so it was
/// not handed to libtorch. The message names the first findings.
/// </summary>
public sealed class UnsafeFileException : Exception
{
    /// <summary>Creates the exception from a scan report.</summary>
    public UnsafeFileException(ScanReport report)
        : base($"{report.Path}: refused, the scanner found {report.Findings.Count(f => f.Severity == ScanSeverity.Dangerous)} dangerous item(s): " +
               string.Join("; ", report.Findings.Where(f => f.Severity == ScanSeverity.Dangerous).Take(3).Select(f => f.Message)))
    {
        Report = report;
    }

    /// <summary>The full scan report.</summary>
    public ScanReport Report { get; }
}
