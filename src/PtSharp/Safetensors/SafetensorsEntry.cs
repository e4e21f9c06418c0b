using PtSharp.Tensors;

namespace PtSharp.Safetensors;

/// <summary>One tensor record of a safetensors header, as the file declares it.</summary>
public sealed class SafetensorsEntry
{
    internal SafetensorsEntry(string name, SafetensorsDType dtype, long[] shape, long begin, long end, PtTensor? tensor)
    {
        Name = name;
        DType = dtype;
        ShapeArray = shape;
        Begin = begin;
        End = end;
        Tensor = tensor;
    }

    internal long[] ShapeArray { get; }

    /// <summary>The tensor's name (the header key).</summary>
    public string Name { get; }

    /// <summary>The element type as the header spells it.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The shape as the header gives it (for <c>F4</c> it counts 4-bit values).</summary>
    public IReadOnlyList<long> Shape => ShapeArray;

    /// <summary>Start of the tensor's bytes, relative to the start of the data section.</summary>
    public long Begin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the start of the data section.</summary>
    public long End { get; }

    /// <summary>Number of bytes (<see cref="End"/> − <see cref="Begin"/>).</summary>
    public long ByteLength => End - Begin;

    /// <summary>
    /// The tensor as a zero-copy view of the mapped file, valid until the owning <see cref="SafetensorsFile"/> is
    /// disposed; <see langword="null"/> when torch has no matching dtype (the F6 types) or an <c>F4</c> tensor's
    /// last dimension is odd (torch stores F4 values in pairs).
    /// </summary>
    public PtTensor? Tensor { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType.Name()}[{string.Join(", ", ShapeArray)}] @ [{Begin}, {End})";
}
