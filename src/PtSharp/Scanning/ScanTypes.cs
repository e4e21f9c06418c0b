namespace PtSharp.Scanning;

/// <summary>How serious a scan finding is.</summary>
public enum ScanSeverity
{
    /// <summary>A fact worth knowing that is not a risk (for example: not a model file).</summary>
    Info = 0,
    /// <summary>Something that cannot be judged safe: an unknown global, a malformed pickle, a container oddity.</summary>
    Warning = 1,
    /// <summary>Code execution, file, process or network access, or a trick that hides content from scanners.</summary>
    Dangerous = 2,
}

/// <summary>The verdict on one global referenced by a pickle, allowlist first.</summary>
public enum GlobalVerdict
{
    /// <summary>In torch's <c>weights_only</c> allowlist, a numpy array/scalar reconstructor, or allowed by the caller.</summary>
    Safe = 0,
    /// <summary>Neither allowlisted nor denylisted: loading it in Python needs that class's code (PtSharp reads it inertly).</summary>
    Unknown = 1,
    /// <summary>On the denylist: code execution, file, process, network, import machinery, attribute resolution, nested loaders, debuggers.</summary>
    Dangerous = 2,
}

/// <summary>What a finding is about.</summary>
public enum ScanFindingKind
{
    /// <summary>A denylisted global (see <see cref="ScanPolicy"/>).</summary>
    DangerousGlobal,
    /// <summary>A global that is neither allowlisted nor denylisted.</summary>
    UnknownGlobal,
    /// <summary>A global whose module and name cannot be resolved statically (STACK_GLOBAL on computed strings, extension codes).</summary>
    UnresolvableGlobal,
    /// <summary>A call whose callable is the result of another call (getattr-style chains).</summary>
    IndirectCall,
    /// <summary>A pickle handed as bytes to a loader function; its own findings follow with a nested record name.</summary>
    NestedPickle,
    /// <summary>The pickle is malformed: a real unpickler stops with an error here (after running what came before).</summary>
    MalformedPickle,
    /// <summary>An opcode crosses a FRAME boundary (pure-Python pickle refuses, the C unpickler accepts).</summary>
    FrameViolation,
    /// <summary>Bytes that cannot be scanned: 7z, rar, gzip and other compressed containers, or an encrypted zip member.</summary>
    Unscannable,
    /// <summary>A zip member's local header names a different file than its central-directory entry.</summary>
    ZipNameMismatch,
    /// <summary>Two zip members have the same name (readers disagree on which one wins).</summary>
    ZipDuplicateName,
    /// <summary>Two zip members share bytes, or a member overlaps the central directory.</summary>
    ZipOverlap,
    /// <summary>A zip member lies outside the archive (its local header is missing or past the data area).</summary>
    ZipOutOfDirectory,
    /// <summary>A zip member has the encryption flag set.</summary>
    ZipEncrypted,
    /// <summary>A zip member is not under the archive prefix torch uses (the first entry's folder).</summary>
    ZipPrefixMismatch,
    /// <summary>Bytes before the first member or after the end record: a polyglot or an appended payload.</summary>
    ZipExtraData,
    /// <summary>A zip member declares an inflated size or ratio past the zip-bomb limits, or inflates to a different size.</summary>
    ZipBomb,
    /// <summary>The container is damaged: PyTorch could not read it either.</summary>
    CorruptContainer,
    /// <summary>Bytes after the last pickle of a raw pickle file, or a second pickle after the first.</summary>
    TrailingData,
    /// <summary>The file is not a pickle-based model file (safetensors, text, unknown bytes).</summary>
    NotAModel,
    /// <summary>A scan limit was reached (nesting, size); the rest was not scanned.</summary>
    LimitReached,
    /// <summary>
    /// Readers of this container disagree on its content (a zip64 locator pointing at a decoy directory, tar member
    /// boundaries that differ between Python versions, duplicate tar members): the scanner follows torch's reader and
    /// scans the other reading too.
    /// </summary>
    ContainerMismatch,
}

/// <summary>The container a scanned file was recognised as, by content.</summary>
public enum ScanContainer
{
    /// <summary>Nothing recognisable.</summary>
    Unknown,
    /// <summary>A <c>torch.save</c> or <c>torch.jit.save</c> zip.</summary>
    TorchZip,
    /// <summary>A zip without torch records (numpy <c>.npz</c> or anything else).</summary>
    Zip,
    /// <summary>The legacy stream format (magic number pickle, then pickles, then raw storages).</summary>
    LegacyStream,
    /// <summary>The legacy tar format.</summary>
    LegacyTar,
    /// <summary>One or more pickles with no container.</summary>
    Pickle,
    /// <summary>A numpy <c>.npy</c> array file.</summary>
    Npy,
    /// <summary>A safetensors file (no pickle).</summary>
    Safetensors,
    /// <summary>A compressed archive PtSharp cannot look inside (7z, rar, gzip, bzip2, xz, zstd).</summary>
    Unscannable,
}

/// <summary>One finding of a scan.</summary>
/// <param name="Severity">How serious it is.</param>
/// <param name="Kind">What it is about.</param>
/// <param name="Global">The global concerned as <c>module.name</c>, or <see langword="null"/>.</param>
/// <param name="Record">The zip member, legacy section or nested pickle concerned, or <see langword="null"/> for the whole file.</param>
/// <param name="Offset">Byte offset inside <paramref name="Record"/> (or the file when no record), or <see langword="null"/>.</param>
/// <param name="Message">One sentence that says what was found and why it matters.</param>
public sealed record ScanFinding(ScanSeverity Severity, ScanFindingKind Kind, string? Global, string? Record, long? Offset, string Message)
{
    /// <summary>Byte offset in the file itself when the record is stored uncompressed, else <see langword="null"/>.</summary>
    public long? FileOffset { get; init; }
}

/// <summary>One global referenced by a scanned pickle, with its verdict.</summary>
/// <param name="Module">Module, normalised as Python 3 does (<c>__builtin__</c> becomes <c>builtins</c>).</param>
/// <param name="Name">Name inside the module (may be dotted).</param>
/// <param name="Verdict">Safe, unknown or dangerous.</param>
/// <param name="Record">Where it was first seen.</param>
/// <param name="Offset">Offset of its first reference inside <paramref name="Record"/>.</param>
/// <param name="Count">How many times the pickles reference it (GLOBAL, STACK_GLOBAL, INST opcodes).</param>
/// <param name="Reason">Why it is dangerous, or <see langword="null"/>.</param>
public sealed record ScanGlobal(string Module, string Name, GlobalVerdict Verdict, string Record, long Offset, int Count, string? Reason)
{
    /// <summary><c>module.name</c>.</summary>
    public string FullName => Module + "." + Name;
}
