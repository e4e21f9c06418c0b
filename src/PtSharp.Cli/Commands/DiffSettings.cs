namespace PtSharp.Cli.Commands;

/// <summary>Everything <c>pt diff</c> was asked for besides the two paths.</summary>
internal sealed class DiffSettings
{
    /// <summary>Absolute tolerance.</summary>
    public double Atol { get; init; }

    /// <summary>Relative tolerance (fraction of B's value).</summary>
    public double Rtol { get; init; }

    /// <summary>One JSON document instead of text.</summary>
    public bool Json { get; init; }

    /// <summary>A dotted path to A's state dict (a .pt file only).</summary>
    public string? KeyA { get; init; }

    /// <summary>A dotted path to B's state dict (a .pt file only).</summary>
    public string? KeyB { get; init; }

    /// <summary>Compare values after rounding to the narrower dtype; a dtype change alone is no difference.</summary>
    public bool IgnoreDType { get; init; }

    /// <summary>Compare the model state dicts only, even when both files are training checkpoints.</summary>
    public bool StateDictOnly { get; init; }

    /// <summary>List every shared key in the text table, not only the different ones.</summary>
    public bool All { get; init; }

    /// <summary>Prefixes removed from A's keys before matching.</summary>
    public IReadOnlyList<string> StripPrefixA { get; init; } = [];

    /// <summary>Prefixes removed from B's keys before matching.</summary>
    public IReadOnlyList<string> StripPrefixB { get; init; } = [];

    /// <summary><c>REGEX=REPLACEMENT</c> renames of A's keys.</summary>
    public IReadOnlyList<string> RenameA { get; init; } = [];

    /// <summary><c>REGEX=REPLACEMENT</c> renames of B's keys.</summary>
    public IReadOnlyList<string> RenameB { get; init; } = [];

    /// <summary>Where the report goes (null or '-' for stdout).</summary>
    public string? OutputPath { get; init; }
}
