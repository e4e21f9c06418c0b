using PtSharp.Onnx.Script;
using PtSharp.Pickle;

namespace PtSharp.Onnx.Conversion;

/// <summary>
/// A tensor during conversion: its shape and dtype (always known: shapes are static for the given input shapes),
/// and where its values come from: an ONNX graph value, a tensor of the file (a parameter, buffer or constant,
/// written as an initializer when first used), or a small constant the converter knows element by element
/// (sizes turned into tensors by <c>NumToTensor</c>, scalar constants), which folds without graph nodes.
/// </summary>
internal sealed class TensorValue
{
    public TensorValue(long[] shape, DType dtype, string? name)
    {
        Shape = shape;
        DType = dtype;
        Name = name;
    }

    public long[] Shape { get; }
    public DType DType { get; }
    public int Rank => Shape.Length;
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The ONNX value name, once the tensor exists in the graph.</summary>
    public string? Name { get; set; }
    /// <summary>A tensor of the file and the name its initializer gets (the state-dict key).</summary>
    public PtTensor? Source { get; init; }
    public string? SourceName { get; init; }
    /// <summary>The elements, when the converter knows them (small constants only).</summary>
    public double[]? Known { get; init; }

    public static TensorValue Constant(double[] values, long[] shape, DType dtype) => new(shape, dtype, null) { Known = values };

    public override string ToString() => $"tensor({DType.Name()}, [{string.Join(", ", Shape)}])";
}

/// <summary>A submodule of the model: its pickled object, its state-dict prefix and its TorchScript class.</summary>
internal sealed record ModuleValue(PyObject Object, string Prefix, ClassDef Class);

/// <summary>A method bound to a module (<c>(conv1).forward</c>).</summary>
internal sealed record BoundMethod(ModuleValue Self, string Name);

/// <summary>A dotted name that is not a variable: <c>torch.add</c>, <c>ops.prim.NumToTensor</c>, <c>__torch__.x.f</c>.</summary>
internal sealed record QualifiedName(string Name);

/// <summary>A tuple value (lists are <see cref="List{T}"/>).</summary>
internal sealed record TupleValue(object?[] Items);
