using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Pickle;

namespace PtSharp.Scanning;

/// <summary>
/// The legacy stream (<c>torch.save(_use_new_zipfile_serialization=False)</c>) at any pickle protocol. torch's
/// <c>_legacy_load</c> unpickles the magic number, and when its value is the magic number it goes on to unpickle the
/// protocol version, sys_info, the main pickle and the storage key list — five pickles back to back, whatever
/// opcodes they use (protocols 0 and 1 have no PROTO to sniff), before it reads the raw storages and stops. So
/// the first pickle is judged as the loader judges it, by its value, and then all five are scanned.
/// </summary>
internal static class LegacyStreamScanner
{
    private const int PickleCount = 5;
    // A magic-number pickle is a few dozen bytes; one padded beyond this is not recognised by its value (its
    // followers are then scanned only when they look like pickles, as after any raw pickle).
    private const int MaxMagicPickle = 1 << 20;

    /// <summary>
    /// Scans <paramref name="bytes"/> as a legacy stream when its first pickle unpickles to torch's magic number;
    /// false (nothing scanned, nothing reported) otherwise.
    /// </summary>
    public static bool TryScan(ScanContext ctx, ReadOnlySpan<byte> bytes)
    {
        if (!StartsWithMagicNumber(bytes)) return false;
        int pos = 0;
        for (int i = 0; i < PickleCount && pos < bytes.Length; i++)
        {
            var r = PickleScanner.Scan(ctx, bytes[pos..], 0, Section(i), pos);
            if (!r.Completed) return true; // the unpickler fails here too: nothing after it runs
            pos += r.End;
        }
        return true;
    }

    /// <summary>True when the first pickle, run by the reader's own pickle machine, is the magic number.</summary>
    public static bool StartsWithMagicNumber(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || !PickleOpcodeTable.IsOpcode(bytes[0])) return false;
        using var copy = PinnedBytes.CopyOf(bytes[..Math.Min(bytes.Length, MaxMagicPickle)]);
        var window = new ByteWindow(copy, 0, copy.Length);
        try
        {
            var vm = new PickleMachine(window, "legacy magic number", ConstantsOnly.Instance, new PickleLimits());
            return vm.Run() is System.Numerics.BigInteger m && m == LegacyStreamLoader.MagicNumber;
        }
        catch (PtFormatException) { return false; }
        catch (InsufficientExecutionStackException) { return false; }
    }

    private static string Section(int i) => i switch
    {
        0 => "legacy magic number",
        1 => "legacy protocol version",
        2 => "legacy sys_info",
        3 => "legacy main pickle",
        _ => "legacy storage keys",
    };

    /// <summary>A host for a pickle that must be a plain constant: any global, call or persistent id ends it.</summary>
    private sealed class ConstantsOnly : IPickleHost
    {
        public static readonly ConstantsOnly Instance = new();

        public object? Global(string module, string name, long offset) => Refuse(offset);
        public object? PersistentLoad(object? pid, long offset) => Refuse(offset);
        public object? Reduce(object? callable, PyTuple args, long offset) => Refuse(offset);
        public object? NewObject(object? cls, PyTuple args, PyDict? kwargs, PyConstruction how, long offset) =>
            Refuse(offset);
        public void Build(object? target, object? state, long offset) => Refuse(offset);

        private static object? Refuse(long offset) =>
            ThrowHelper.Format<object?>(PtErrorKind.CorruptPickle, "not a constant", "legacy magic number", offset);
    }
}
