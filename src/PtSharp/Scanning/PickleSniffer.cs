using PtSharp.Pickle;

namespace PtSharp.Scanning;

/// <summary>
/// Decides whether bytes are a pickle the way an unpickler would: by whether they run, not by how names look.
/// CPython's <c>find_class</c> imports any module name the import system finds (a file <c>my-helpers.py</c> on
/// the path is importable as <c>my-helpers</c>) and takes any attribute name, so a global that is not a Python
/// identifier does not stop a pickle: it is scanned like any other (names with whitespace or control characters,
/// which only text has, are not taken for globals).
/// </summary>
internal static class PickleSniffer
{
    private const int MaxOpcodes = 1_000_000;

    /// <summary>
    /// True when the bytes at <paramref name="start"/> tokenize as a pickle that reaches a global whose module and
    /// name are dotted identifiers (at once), or that reaches STOP after a global of any spelling, or that starts
    /// with PROTO and reaches STOP. With <paramref name="strict"/> false, a PROTO start alone is enough (a damaged
    /// pickle is then reported as malformed). With <paramref name="requireGlobal"/>, only a pickle that reaches a
    /// global counts (random tensor data can tokenize to a STOP).
    /// </summary>
    public static bool LooksLikePickle(ReadOnlySpan<byte> bytes, int start, bool strict, bool requireGlobal = false)
    {
        if (start >= bytes.Length) return false;
        bool proto = bytes[start] == 0x80 && start + 1 < bytes.Length && bytes[start + 1] <= 5;
        if (proto && !strict) return true;
        if (!PickleOpcodeTable.IsOpcode(bytes[start])) return false;
        var tok = new PickleReader(bytes, start);
        bool sawGlobal = false;
        for (int i = 0; i < MaxOpcodes; i++)
        {
            if (!tok.Next(out var t)) return false;
            switch (t.Opcode)
            {
                case PickleOpcode.Stop:
                    if (sawGlobal) return true;
                    return !requireGlobal && (proto || i > 0 && !strict);
                case PickleOpcode.Global: case PickleOpcode.Inst:
                    if (IsDottedIdentifier(t.Argument) && IsDottedIdentifier(t.Name))
                        return true;
                    // Any other spelling is still imported by CPython: decide by whether the pickle reaches STOP.
                    // Text is not taken for a pickle: a name with whitespace or control characters ends the sniff.
                    if (!IsImportable(t.Argument) || !IsImportable(t.Name)) return false;
                    sawGlobal = true;
                    break;
                case PickleOpcode.StackGlobal: case PickleOpcode.Ext1: case PickleOpcode.Ext2: case PickleOpcode.Ext4:
                    return true;
            }
        }
        return !requireGlobal;
    }

    private static bool IsImportable(ReadOnlySpan<byte> s)
    {
        if (s.Length == 0 || s.Length > 512) return false;
        foreach (byte b in s) if (b <= (byte)' ' || b == 0x7F) return false;
        return System.Text.Unicode.Utf8.IsValid(s);
    }

    private static bool IsDottedIdentifier(ReadOnlySpan<byte> s)
    {
        if (s.Length == 0 || s.Length > 512) return false;
        bool atStart = true;
        foreach (byte b in s)
        {
            if (b == (byte)'.') { if (atStart) return false; atStart = true; continue; }
            bool letter = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' || b >= 0x80;
            if (!letter && !(b is >= (byte)'0' and <= (byte)'9' && !atStart)) return false;
            atStart = false;
        }
        return !atStart;
    }
}
