namespace PtSharp.Errors;

/// <summary>
/// Thrown when a value cannot be saved: a tensor whose extent exceeds its data, a storage viewed with two dtypes,
/// a .NET object the pickle format cannot hold. Raised while preparing the file, before any byte is written.
/// </summary>
public sealed class PtWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What cannot be written.</param>
    /// <param name="path">Where in the object tree (dotted path), if known.</param>
    public PtWriteException(string message, string? path = null)
        : base(path is null or "" ? message : $"{message} (at '{path}')")
    {
        ObjectPath = path;
    }

    /// <summary>Dotted path of the offending value inside the saved object, or <see langword="null"/>.</summary>
    public string? ObjectPath { get; }
}
