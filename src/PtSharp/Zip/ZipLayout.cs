namespace PtSharp.Zip;

/// <summary>Signatures and fixed sizes of the zip structures PtSharp parses (APPNOTE 6.3, sections 4.3.7–4.3.16).</summary>
internal static class ZipLayout
{
    public const uint LocalHeaderSignature = 0x04034b50;
    public const uint CentralHeaderSignature = 0x02014b50;
    public const uint EndOfCentralDirectorySignature = 0x06054b50;
    public const uint Zip64EndOfCentralDirectorySignature = 0x06064b50;
    public const uint Zip64LocatorSignature = 0x07064b50;
    public const uint DataDescriptorSignature = 0x08074b50;

    public const int LocalHeaderSize = 30;
    public const int CentralHeaderSize = 46;
    public const int EndOfCentralDirectorySize = 22;
    public const int Zip64LocatorSize = 20;
    public const int Zip64EndOfCentralDirectorySize = 56;
    public const int MaxCommentLength = 0xFFFF;

    public const ushort Zip64ExtraId = 0x0001;
    /// <summary>PyTorch's alignment padding extra field, the bytes 'F','B'.</summary>
    public const ushort PyTorchPaddingExtraId = 0x4246;

    public const ushort MethodStored = 0;
    public const ushort MethodDeflate = 8;
}
