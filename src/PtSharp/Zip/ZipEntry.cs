namespace PtSharp.Zip;

/// <summary>One member of a zip archive as the central directory and its local header describe it.</summary>
public sealed class ZipEntry
{
    internal ZipEntry(string name, ushort flags, ushort method, uint crc32, long compressedSize, long uncompressedSize,
        long localHeaderOffset, long dataOffset)
    {
        Name = name;
        Flags = flags;
        Method = method;
        Crc32 = crc32;
        CompressedSize = compressedSize;
        UncompressedSize = uncompressedSize;
        LocalHeaderOffset = localHeaderOffset;
        DataOffset = dataOffset;
    }

    /// <summary>Full member name including the archive prefix, e.g. <c>model/data/0</c>.</summary>
    public string Name { get; }
    /// <summary>General-purpose flag bits from the central directory.</summary>
    public ushort Flags { get; }
    /// <summary>Compression method: 0 stored, 8 deflate.</summary>
    public ushort Method { get; }
    /// <summary>CRC-32 recorded in the central directory (0 when the writer disabled CRCs).</summary>
    public uint Crc32 { get; }
    /// <summary>Bytes of payload in the file.</summary>
    public long CompressedSize { get; }
    /// <summary>Bytes of payload once decompressed.</summary>
    public long UncompressedSize { get; }
    /// <summary>File offset of the local header.</summary>
    public long LocalHeaderOffset { get; }
    /// <summary>File offset of the first payload byte (computed from the local header, as PyTorch does).</summary>
    public long DataOffset { get; }
    /// <summary>True when the payload is stored uncompressed and can be memory-mapped directly.</summary>
    public bool IsStored => Method == 0;
    /// <summary>True when bit 0 (traditional or strong encryption) is set.</summary>
    public bool IsEncrypted => (Flags & 1) != 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name} ({UncompressedSize} bytes{(Method == 0 ? "" : $", method {Method}, {CompressedSize} compressed")})";
}
