namespace PtSharp.Tensors;

/// <summary>
/// How many numbers a checkpoint holds, the way a model author counts them: the model's unique parameters (a
/// tied weight once), its buffers (<c>running_mean</c>, <c>num_batches_tracked</c>...), and every other tensor
/// (optimizer state, RNG state, EMA copies...) separately.
/// </summary>
/// <param name="Parameters">Elements of the unique parameters (<c>sum(p.numel() for p in model.parameters())</c>).</param>
/// <param name="ParameterTensors">Number of unique parameter tensors.</param>
/// <param name="TiedNames">State-dict names that view a parameter already counted (tied weights).</param>
/// <param name="Buffers">Elements of the unique buffers.</param>
/// <param name="BufferTensors">Number of unique buffer tensors.</param>
/// <param name="Other">Elements of the tensors outside the state dict.</param>
/// <param name="OtherTensors">Number of tensors outside the state dict.</param>
/// <param name="ParameterBytes">Logical bytes of the unique parameters.</param>
/// <param name="Bytes">Logical bytes of everything counted, each unique tensor once.</param>
public sealed record ParameterCount(
    long Parameters, int ParameterTensors, int TiedNames, long Buffers, int BufferTensors, long Other, int OtherTensors,
    long ParameterBytes, long Bytes)
{
    /// <summary>All elements counted: parameters, buffers and other tensors.</summary>
    public long Total => Parameters + Buffers + Other;

    /// <summary>
    /// Counts <paramref name="stateDict"/> (the model) and the tensors of <paramref name="all"/> that are not in it.
    /// A state-dict entry is a parameter when the file says so (an <c>nn.Parameter</c>, or a tensor that requires
    /// grad in a file that records it); in a plain state dict, which records neither, floating-point and complex
    /// tensors are parameters except the standard buffers (<c>running_mean</c>, <c>running_var</c>,
    /// <c>num_batches_tracked</c>), and integer and bool tensors are buffers.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ParameterCount Of(IReadOnlyList<NamedTensor> stateDict, IReadOnlyList<NamedTensor> all)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(all);
        bool flagsParameters = stateDict.Any(t => t.Tensor.IsParameter);
        bool flagsGrad = !flagsParameters && stateDict.Any(t => t.Tensor.RequiresGrad);
        var seen = new HashSet<TensorIdentity>();
        long parameters = 0, buffers = 0, other = 0, bytes = 0, parameterBytes = 0;
        int parameterTensors = 0, bufferTensors = 0, otherTensors = 0, tied = 0;
        foreach (var (name, t) in stateDict)
        {
            if (!seen.Add(TensorIdentity.Of(t))) { tied++; continue; }
            bytes += LogicalBytesOf(t);
            bool isParameter = flagsParameters ? t.IsParameter : flagsGrad ? t.RequiresGrad : LooksLikeParameter(name, t);
            if (isParameter) { parameters += t.ElementCount; parameterTensors++; parameterBytes += LogicalBytesOf(t); }
            else { buffers += t.ElementCount; bufferTensors++; }
        }
        foreach (var (_, t) in all)
        {
            if (!seen.Add(TensorIdentity.Of(t))) continue;
            bytes += LogicalBytesOf(t);
            other += t.ElementCount;
            otherTensors++;
        }
        return new ParameterCount(
            parameters, parameterTensors, tied, buffers, bufferTensors, other, otherTensors, parameterBytes, bytes);
    }

    private static long LogicalBytesOf(PtTensor t) => t.IsSparse ? 0 : t.ByteCount;

    private static bool LooksLikeParameter(string name, PtTensor t)
    {
        if (!t.DType.IsFloatingPoint() && !t.DType.IsComplex()) return false;
        string last = name[(name.LastIndexOf('.') + 1)..];
        return last is not ("running_mean" or "running_var" or "num_batches_tracked");
    }

    /// <summary>Two tensors are one when they view the same bytes the same way (a tied weight saved twice).</summary>
    private readonly record struct TensorIdentity(object Target, long Offset, DType DType, string Shape, string Stride)
    {
        public static TensorIdentity Of(PtTensor t) => t.Storage is { } s
            ? new(s, t.StorageOffset, t.DType, string.Join(',', t.Shape), string.Join(',', t.Stride))
            : new(t, 0, t.DType, "", "");
    }
}
