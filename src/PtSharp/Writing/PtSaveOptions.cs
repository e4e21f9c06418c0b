namespace PtSharp.Writing;

/// <summary>Options for <see cref="PtWriter"/>.</summary>
public sealed class PtSaveOptions
{
    /// <summary>The folder name inside the zip. Default: the file name without its last extension, as torch.save does (<c>archive</c> for streams).</summary>
    public string? ArchiveName { get; set; }

    /// <summary>Receives the number of tensor bytes written so far, after each chunk.</summary>
    public IProgress<long>? Progress { get; set; }

    /// <summary>
    /// Stops the write between chunks with <see cref="OperationCanceledException"/>; the temporary file is deleted
    /// and the target is left as it was.
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>Size of the chunks tensor bytes are copied in (default 4 MiB); bounds the memory a save uses.</summary>
    public int ChunkSize { get; set; } = 4 << 20;
}
