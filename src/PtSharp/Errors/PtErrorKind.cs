namespace PtSharp.Errors;

/// <summary>Why a file could not be read. Each kind names one rule of the format that the input broke.</summary>
public enum PtErrorKind
{
    /// <summary>The input ended before a structure it declared was complete.</summary>
    Truncated,
    /// <summary>The container (zip, tar or legacy stream) is malformed.</summary>
    CorruptContainer,
    /// <summary>A record the format requires (for example <c>data.pkl</c> or <c>data/&lt;key&gt;</c>) is missing.</summary>
    MissingRecord,
    /// <summary>The pickle program is malformed: unknown opcode, stack underflow, bad argument, missing memo entry.</summary>
    CorruptPickle,
    /// <summary>A tensor or storage description is inconsistent: negative sizes, extent past the storage, dtype clash.</summary>
    InvalidTensor,
    /// <summary>A safety limit was hit (depth, memo size, allocation, decompression ratio).</summary>
    LimitExceeded,
    /// <summary>A global outside the strict allowlist was referenced.</summary>
    ForbiddenGlobal,
    /// <summary>The input is valid but uses a feature PtSharp does not implement (named in the message).</summary>
    Unsupported,
    /// <summary>The file is not a format PtSharp recognises.</summary>
    UnknownFormat,
}
