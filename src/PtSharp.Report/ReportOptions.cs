using PtSharp.Loading;
namespace PtSharp.Report;

/// <summary>Options for <see cref="HtmlReport"/>.</summary>
public sealed class ReportOptions
{
    /// <summary>A second file to compare with (<c>--diff</c>): per-key changes, keys on one side only.</summary>
    public string? DiffPath { get; set; }

    /// <summary>Histogram bins per tensor (default 32, between 4 and 256).</summary>
    public int Bins { get; set; } = 32;

    /// <summary>How the file is opened (strict mode, limits).</summary>
    public PtLoadOptions? LoadOptions { get; set; }
}
