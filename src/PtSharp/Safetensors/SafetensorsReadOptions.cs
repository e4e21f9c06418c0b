namespace PtSharp.Safetensors;

/// <summary>Options for <see cref="SafetensorsFile"/>.</summary>
public sealed class SafetensorsReadOptions
{
    /// <summary>The format's header size cap: 100,000,000 bytes, as the reference implementation enforces.</summary>
    public const long DefaultMaxHeaderSize = 100_000_000;

    /// <summary>Largest accepted JSON header, in bytes (default <see cref="DefaultMaxHeaderSize"/>).</summary>
    public long MaxHeaderSize { get; set; } = DefaultMaxHeaderSize;
}
