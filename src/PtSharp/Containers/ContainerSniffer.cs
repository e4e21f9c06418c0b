using PtSharp.Safetensors;
using PtSharp.Zip;

namespace PtSharp.Containers;

/// <summary>What a file is, judged by its first bytes the way torch.load, tarfile and numpy decide it.</summary>
internal enum ContainerKind
{
    /// <summary>No bytes at all.</summary>
    Empty,
    /// <summary>Starts with a zip local header: torch.load takes its zip path (torch.save ≥ 1.6, TorchScript,
    /// .npz).</summary>
    Zip,
    /// <summary>The torch 1.0-preview 'PYTORCH1' container, which current torch refuses.</summary>
    TorchPreview,
    /// <summary>A compressed stream or archive (gzip, 7z, ...): torch cannot load it, nobody can scan inside.</summary>
    Compressed,
    /// <summary>A numpy .npy array.</summary>
    Npy,
    /// <summary>A first block that Python's tarfile accepts: torch.load tries its legacy tar loader.</summary>
    Tar,
    /// <summary>The legacy stream of pickles, recognised by its magic-number pickle.</summary>
    LegacyStream,
    /// <summary>A safetensors file.</summary>
    Safetensors,
    /// <summary>A binary pickle (PROTO 0–5 first): torch.load reads it as a legacy stream.</summary>
    Pickle,
    /// <summary>None of these (a protocol 0/1 pickle may still hide here; only the scanner looks further).</summary>
    Unknown,
}

/// <summary>
/// The one place that decides what a file is, used by the loader (<c>PtFile</c>) and the scanner
/// (<c>ContainerScanner</c>), so both take the same path through a file as torch.load does: zip first, then tar,
/// then pickle.
/// </summary>
internal static class ContainerSniffer
{
    /// <summary>Bytes <see cref="Sniff"/> wants to see (a tar header block).</summary>
    public const int HeadLength = 512;

    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>PROTO 2 then LONG1 of torch's legacy magic number 0x1950a86a20f9469cfc6c.</summary>
    private static readonly byte[] LegacyMagic =
        [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E];

    private static readonly (byte[] Magic, string Name)[] CompressedFormats =
    [
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "7z archive"),
        ("Rar!\x1A\x07"u8.ToArray(), "RAR archive"),
        ([0x1F, 0x8B], "gzip stream"),
        ("BZh"u8.ToArray(), "bzip2 stream"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz stream"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd stream"),
        ([0x04, 0x22, 0x4D, 0x18], "lz4 frame"),
    ];

    /// <summary>
    /// The kind of a file of <paramref name="length"/> bytes starting with <paramref name="head"/> (at least
    /// <see cref="HeadLength"/> bytes when the file has them); <paramref name="formatName"/> names a compressed format.
    /// </summary>
    public static ContainerKind Sniff(ReadOnlySpan<byte> head, long length, out string? formatName)
    {
        formatName = null;
        if (length == 0) return ContainerKind.Empty;
        if (ZipArchiveReader.HasLocalHeaderMagic(head)) return ContainerKind.Zip;
        if (head.StartsWith("PYTORCH1"u8)) return ContainerKind.TorchPreview;
        foreach (var (magic, name) in CompressedFormats)
            if (head.StartsWith(magic))
            {
                formatName = name;
                return ContainerKind.Compressed;
            }
        if (head.StartsWith(NpyMagic)) return ContainerKind.Npy;
        if (TarWalker.LooksLikeTar(head)) return ContainerKind.Tar;
        if (head.StartsWith(LegacyMagic)) return ContainerKind.LegacyStream;
        if (SafetensorsHeader.LooksLikeSafetensors(head, length)) return ContainerKind.Safetensors;
        if (head.Length >= 2 && head[0] == 0x80 && head[1] <= 5) return ContainerKind.Pickle;
        return ContainerKind.Unknown;
    }

    /// <summary>True for the .npy magic.</summary>
    public static bool IsNpy(ReadOnlySpan<byte> bytes) => bytes.StartsWith(NpyMagic);
}
