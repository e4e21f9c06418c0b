namespace PtSharp.Errors;

/// <summary>
/// Thrown when a file cannot be read. The message says what is wrong and where: the record name inside the
/// archive and the byte offset (inside the record for pickles, inside the file for container structures).
/// </summary>
public class PtFormatException : Exception
{
    /// <summary>Creates an exception describing a format problem.</summary>
    /// <param name="kind">The rule that was broken.</param>
    /// <param name="message">What is wrong, in one sentence, without the location.</param>
    /// <param name="record">The archive record (or legacy section) being read, if any.</param>
    /// <param name="offset">The byte offset of the problem, if known.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public PtFormatException(PtErrorKind kind, string message, string? record = null, long? offset = null, Exception? inner = null)
        : base(Compose(message, record, offset), inner)
    {
        Kind = kind;
        Record = record;
        Offset = offset;
        Detail = message;
    }

    /// <summary>The rule that was broken.</summary>
    public PtErrorKind Kind { get; }

    /// <summary>The archive record or legacy section being read, or <see langword="null"/>.</summary>
    public string? Record { get; }

    /// <summary>Byte offset of the problem (inside <see cref="Record"/> when it is set), or <see langword="null"/>.</summary>
    public long? Offset { get; }

    /// <summary>The message without the location suffix.</summary>
    public string Detail { get; }

    private static string Compose(string message, string? record, long? offset)
    {
        if (record is null && offset is null) return message;
        var where = record is null ? $"at byte {offset}" : offset is null ? $"in '{record}'" : $"in '{record}' at byte {offset}";
        return $"{message} ({where})";
    }
}

/// <summary>
/// Thrown in strict mode when a pickle references a global outside the allowlist. Nothing from the file was
/// executed; the load stopped at the reference.
/// </summary>
public sealed class PickleSecurityException : PtFormatException
{
    /// <summary>Creates the exception for a refused global.</summary>
    /// <param name="global">The refused <c>module.name</c>.</param>
    /// <param name="record">The pickle record.</param>
    /// <param name="offset">Offset of the GLOBAL opcode inside the record.</param>
    public PickleSecurityException(string global, string? record, long? offset)
        : base(PtErrorKind.ForbiddenGlobal,
            $"global '{global}' is not in the weights-only allowlist; if you trust this file, allow it with PtLoadOptions.AllowGlobals.Add(\"{global}\") or load without strict mode",
            record, offset)
    {
        Global = global;
    }

    /// <summary>The refused global as <c>module.name</c>.</summary>
    public string Global { get; }
}
