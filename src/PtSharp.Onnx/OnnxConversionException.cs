namespace PtSharp.Onnx;

/// <summary>
/// A model cannot be converted to ONNX: an op or construct outside the supported TorchScript subset, a value that
/// is only known at run time where a conversion-time value is needed, or bad input. The message names the op, the
/// TorchScript source line and the code record.
/// </summary>
public sealed class OnnxConversionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxConversionException(string message, string? record = null, int line = 0, string? op = null)
        : base(Describe(message, record, line, op))
    {
        Record = record;
        Line = line;
        Op = op;
    }

    /// <summary>The code record (<c>code/__torch__/....py</c>) where conversion stopped, when known.</summary>
    public string? Record { get; }
    /// <summary>The 1-based line in <see cref="Record"/>, or 0.</summary>
    public int Line { get; }
    /// <summary>The op or construct that is not supported (<c>aten::nonzero</c>, <c>while</c>...), when known.</summary>
    public string? Op { get; }

    private static string Describe(string message, string? record, int line, string? op)
    {
        string where = record is null ? "" : line > 0 ? $" ({record}, line {line})" : $" ({record})";
        return (op is null ? message : $"{op}: {message}") + where;
    }
}
