using PtSharp.Tensors;
namespace PtSharp.Report.Data;

/// <summary>Why a tensor is highlighted in the report.</summary>
[Flags]
internal enum TensorFlags
{
    None = 0,
    /// <summary>Every element is zero.</summary>
    AllZero = 1,
    /// <summary>Some element is NaN or infinite.</summary>
    NonFinite = 2,
    /// <summary>
    /// Its standard deviation is more than <see cref="OutlierRules.StdFactor"/>× away from its siblings' median.
    /// </summary>
    StdOutlier = 4,
    /// <summary>Another name already holds the same data (a tied weight).</summary>
    Tied = 8,
}

/// <summary>What the report shows about one named tensor.</summary>
internal sealed class TensorSummary(string name, PtTensor tensor)
{
    public string Name { get; } = name;
    public PtTensor Tensor { get; } = tensor;
    /// <summary>Elements the statistics cover (the values of a sparse tensor).</summary>
    public long Elements { get; set; }
    public TensorStatistics? Stats { get; set; }
    public double? Mean { get; set; }
    public double? Std { get; set; }
    public double? ZeroFraction { get; set; }
    public long[]? Histogram { get; set; }
    public TensorFlags Flags { get; set; }
    /// <summary>The first name holding the same data, for tied tensors.</summary>
    public string? TiedTo { get; set; }
    public string? Note { get; set; }
    /// <summary>The <see cref="TensorFlags.StdOutlier"/> comparison: the siblings' median std.</summary>
    public double? SiblingStd { get; set; }

    /// <summary>Bytes of data the tensor addresses (a sparse tensor's: its components').</summary>
    public long Bytes => Tensor.IsSparse
        ? Tensor.SparseComponents.Sum(c => c.ByteCount)
        : Tensor.ByteCount;
}
