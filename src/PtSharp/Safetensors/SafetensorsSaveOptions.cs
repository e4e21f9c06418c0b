namespace PtSharp.Safetensors;

/// <summary>Options for <see cref="SafetensorsWriter"/>.</summary>
public sealed class SafetensorsSaveOptions
{
    /// <summary>
    /// Strings for the header's <c>__metadata__</c>, written in this order before the alias records. <see langword="null"/>
    /// for none.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>>? Metadata { get; set; }

    /// <summary>
    /// The <c>format</c> metadata entry added when <see cref="Metadata"/> has none (default <c>pt</c>, which
    /// Hugging Face transformers expects); <see langword="null"/> adds nothing.
    /// </summary>
    public string? FormatTag { get; set; } = "pt";

    /// <summary>
    /// Write tensors that are the same view of the same storage (tied weights) once, under the first name in
    /// ordinal order, and record each removed name in <c>__metadata__</c> as <c>removed → kept</c>, as Hugging Face's
    /// converter does (default true). When false such tensors are written once per name.
    /// </summary>
    public bool DeduplicateAliases { get; set; } = true;

    /// <summary>
    /// Before the file replaces the target, open what was written with <see cref="SafetensorsFile"/> and compare
    /// every tensor's dtype, shape and bytes, the metadata and the aliases (default true; path overloads only).
    /// </summary>
    public bool Verify { get; set; } = true;

    /// <summary>Flush the file to disk before it replaces the target (default true).</summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>Receives the number of tensor bytes written so far, after each chunk.</summary>
    public IProgress<long>? Progress { get; set; }

    /// <summary>
    /// Stops the write between chunks with <see cref="OperationCanceledException"/>; the temporary file is deleted
    /// and the target is left as it was.
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>Size of the chunks tensor bytes are written in (default 4 MiB); bounds the memory a save uses.</summary>
    public int ChunkSize { get; set; } = 4 << 20;
}
