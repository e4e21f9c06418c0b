using PtSharp.Tensors;

namespace PtSharp.Loading;

/// <summary>What a loader read from a file; <see cref="PtFile"/> takes it over as a whole.</summary>
/// <param name="Format">The container format.</param>
/// <param name="Root">The main pickle's top-level object.</param>
/// <param name="Protocol">The main pickle's protocol.</param>
/// <param name="Globals">Every global the main pickle referenced (duplicates allowed).</param>
/// <param name="Storages">Every storage, in first-seen order.</param>
internal sealed record LoadResult(
    PtFormat Format, object? Root, int Protocol, IEnumerable<string> Globals, IEnumerable<PtStorage> Storages)
{
    /// <summary>The format version record (zip) or protocol version (legacy), if any.</summary>
    public string? FormatVersion { get; init; }

    /// <summary>The record (or legacy section) the root was read from, named in errors of walks over it.</summary>
    public string? Record { get; init; }

    /// <summary>True when the tensor data was written big-endian.</summary>
    public bool BigEndian { get; init; }
}
