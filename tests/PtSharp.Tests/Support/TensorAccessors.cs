using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Tests.Support;

/// <summary>
/// What the fuzz oracles do with a file that loaded: walk it and read every tensor through the public accessors.
/// Shared by <c>MutationFuzzTests</c> and the SharpFuzz harness (linked into <c>fuzz/PtSharp.Fuzz</c>), so both
/// fuzz the same surface; each caller decides what an exception means.
/// </summary>
internal static class TensorAccessors
{
    /// <summary>Exceptions the data accessors document (everything else is a bug).</summary>
    public static bool IsDocumented(Exception e) => e is InvalidOperationException or NotSupportedException or ArgumentException or PtFormatException;

    /// <summary>The file-level views a user reads after opening; returns the tensors to exercise.</summary>
    public static IReadOnlyList<NamedTensor> Walk(PtFile file)
    {
        var tensors = file.Tensors;
        _ = file.StateDict;
        _ = file.ParameterCount;
        _ = file.Globals;
        _ = file.RecordNames;
        return tensors;
    }

    /// <summary>Reads <paramref name="t"/> through every typed accessor that fits its element size (small tensors only).</summary>
    public static void Exercise(PtTensor t)
    {
        _ = t.ByteCount;
        _ = t.IsContiguous;
        if (t.ElementCount > 1 << 16) return;
        switch (t.DType.ElementSize())
        {
            case 1: _ = t.ToArray<byte>(); _ = t.AsTensorSpan<byte>(); break;
            case 2: _ = t.ToArray<ushort>(); _ = t.AsTensorSpan<ushort>(); break;
            case 4: _ = t.ToArray<float>(); _ = t.AsTensorSpan<float>(); break;
            case 8: _ = t.ToArray<double>(); _ = t.AsTensorSpan<double>(); break;
        }
        if (t.IsContiguous && t.DType.ElementSize() == 4) _ = t.AsSpan<float>().Length;
    }
}
