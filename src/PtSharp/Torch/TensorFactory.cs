using System.Numerics;
using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Torch;

/// <summary>Reads the integers of a tensor reconstructor's pickled arguments (sizes, strides, offsets) with checks.</summary>
internal static class TensorFactory
{
    public const int MaxRank = TensorLayout.MaxRank;

    public static long[] ReadIntTuple(object? value, string what, string record, long at)
    {
        IReadOnlyList<object?>? items = value switch
        {
            PyTuple t => t,
            PyList l => l,
            _ => null,
        };
        if (items is null) return ThrowHelper.Format<long[]>(PtErrorKind.InvalidTensor, $"tensor {what} is {PickleMachine.Describe(value)}, not a tuple of ints", record, at);
        if (items.Count > MaxRank) ThrowHelper.Format(PtErrorKind.InvalidTensor, $"tensor {what} has {items.Count} dimensions, more than {MaxRank}", record, at);
        var result = new long[items.Count];
        for (int i = 0; i < result.Length; i++) result[i] = ReadLong(items[i], what, record, at);
        return result;
    }

    public static long ReadLong(object? value, string what, string record, long at) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        BigInteger => ThrowHelper.Format<long>(PtErrorKind.InvalidTensor, $"tensor {what} does not fit in 64 bits", record, at),
        _ => ThrowHelper.Format<long>(PtErrorKind.InvalidTensor, $"tensor {what} is {PickleMachine.Describe(value)}, not an int", record, at),
    };
}
