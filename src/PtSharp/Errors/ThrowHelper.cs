using System.Diagnostics.CodeAnalysis;

namespace PtSharp.Errors;

/// <summary>Central place for throws, so hot paths stay small and messages stay uniform.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Format(PtErrorKind kind, string message, string? record = null, long? offset = null)
        => throw new PtFormatException(kind, message, record, offset);

    [DoesNotReturn]
    public static T Format<T>(PtErrorKind kind, string message, string? record = null, long? offset = null)
        => throw new PtFormatException(kind, message, record, offset);

    [DoesNotReturn]
    public static void Truncated(string what, string? record, long offset)
        => throw new PtFormatException(PtErrorKind.Truncated, $"input ends inside {what}", record, offset);

    [DoesNotReturn]
    public static void Limit(string message, string? record = null, long? offset = null)
        => throw new PtFormatException(PtErrorKind.LimitExceeded, message, record, offset);
}
