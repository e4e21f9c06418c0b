using PtSharp.Pickle;

namespace PtSharp.Tensors;

/// <summary>
/// A tensor as the file describes it: a strided view (dtype, shape, stride, offset) over a <see cref="PtStorage"/>,
/// plus the flags torch saves with it. No data is copied until asked for. Data accessors are valid while the owning
/// <c>PtFile</c> is open.
/// </summary>
public sealed partial class PtTensor
{
    internal PtTensor(DType dtype, long[] shape, long[] stride, long storageOffset, PtStorage? storage)
    {
        DType = dtype;
        ShapeArray = shape;
        StrideArray = stride;
        StorageOffset = storageOffset;
        Storage = storage;
    }

    internal long[] ShapeArray { get; }
    internal long[] StrideArray { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }
    /// <summary>Size of each dimension (empty for a 0-dim scalar).</summary>
    public IReadOnlyList<long> Shape => ShapeArray;
    /// <summary>Stride of each dimension, in elements.</summary>
    public IReadOnlyList<long> Stride => StrideArray;
    /// <summary>Offset of the first element inside the storage, in elements.</summary>
    public long StorageOffset { get; }
    /// <summary>The storage viewed; shared by all tensors that view the same bytes. <see langword="null"/> for meta and sparse tensors.</summary>
    public PtStorage? Storage { get; }
    /// <summary>Number of dimensions.</summary>
    public int Rank => ShapeArray.Length;
    /// <summary>Number of logical elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount { get; internal set; }
    /// <summary>Logical bytes: <see cref="ElementCount"/> × element size (torch's <c>nbytes</c>).</summary>
    public long ByteCount => checked(ElementCount * DType.ElementSize());
    /// <summary>Whether the tensor required grad when saved.</summary>
    public bool RequiresGrad { get; set; }
    /// <summary>True when the file saved an <c>nn.Parameter</c>.</summary>
    public bool IsParameter { get; set; }
    /// <summary>Lazy-conjugate bit (complex tensors): values read through this tensor have their imaginary part negated.</summary>
    public bool IsConj { get; internal set; }
    /// <summary>Lazy-negative bit: values read through this tensor are negated.</summary>
    public bool IsNeg { get; internal set; }
    /// <summary>Device the tensor was saved from (<c>cpu</c>, <c>cuda:0</c>, <c>meta</c>...).</summary>
    public string Device { get; internal set; } = "cpu";
    /// <summary>True for meta tensors, which carry no data.</summary>
    public bool IsMeta => Device == "meta";
    /// <summary>Quantization scheme and parameters for quantized dtypes, else <see langword="null"/>.</summary>
    public QuantizationParameters? Quantization
    {
        get => _rare?.Quantization;
        internal set { if (value is not null || _rare is not null) Rare.Quantization = value; }
    }
    /// <summary>torch layout name: <c>strided</c>, <c>sparse_coo</c>, <c>sparse_csr</c>, <c>sparse_csc</c>, <c>sparse_bsr</c>, <c>sparse_bsc</c>.</summary>
    public string Layout { get; internal set; } = "strided";
    /// <summary>True for any sparse layout.</summary>
    public bool IsSparse => Layout != "strided";
    /// <summary>
    /// Components of a sparse tensor in torch's order: COO (indices, values); CSR/BSR (crow_indices, col_indices,
    /// values); CSC/BSC (ccol_indices, row_indices, values). Empty for strided tensors.
    /// </summary>
    public IReadOnlyList<PtTensor> SparseComponents
    {
        get => _rare?.SparseComponents ?? [];
        internal set => Rare.SparseComponents = value;
    }
    /// <summary>For COO tensors, whether the file marked it coalesced.</summary>
    public bool? IsCoalesced
    {
        get => _rare?.IsCoalesced;
        internal set { if (value is not null || _rare is not null) Rare.IsCoalesced = value; }
    }
    /// <summary>The reconstructor the file used, e.g. <c>torch._utils._rebuild_tensor_v2</c>.</summary>
    public string Rebuild { get; internal set; } = "";
    /// <summary>The tensor subclass recorded by <c>_rebuild_from_type_v2</c> or <c>_rebuild_parameter_with_state</c>, if any.</summary>
    public PyGlobal? SubclassType
    {
        get => _rare?.SubclassType;
        internal set { if (value is not null || _rare is not null) Rare.SubclassType = value; }
    }
    /// <summary>Python attributes saved with the tensor (subclass state), if any.</summary>
    public object? PythonState
    {
        get => _rare?.PythonState;
        internal set { if (value is not null || _rare is not null) Rare.PythonState = value; }
    }

    // What few tensors have lives in a side object, so the common tensor stays small (files hold tens of thousands).
    private RareParts? _rare;
    private RareParts Rare => _rare ??= new();

    private sealed class RareParts
    {
        public QuantizationParameters? Quantization;
        public IReadOnlyList<PtTensor>? SparseComponents;
        public bool? IsCoalesced;
        public PyGlobal? SubclassType;
        public object? PythonState;
    }

    /// <summary>True when the elements are laid out row-major without gaps (torch's <c>is_contiguous()</c>).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = ShapeArray.Length - 1; d >= 0; d--)
            {
                if (ShapeArray[d] == 1) continue;
                if (StrideArray[d] != expected) return ElementCount == 0;
                expected *= ShapeArray[d];
            }
            return true;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"tensor({DType.Name()}, [{string.Join(", ", ShapeArray)}])";
}
