namespace PtSharp.Modules;

/// <summary>The element-wise activations (and Softmax/LogSoftmax) the registry knows.</summary>
public enum ActivationKind
{
    /// <summary><c>nn.ReLU</c></summary>
    ReLU,
    /// <summary><c>nn.ReLU6</c></summary>
    ReLU6,
    /// <summary><c>nn.LeakyReLU</c> (<see cref="ActivationSpec.Alpha"/> = negative_slope)</summary>
    LeakyReLU,
    /// <summary><c>nn.ELU</c> (<see cref="ActivationSpec.Alpha"/> = alpha)</summary>
    ELU,
    /// <summary><c>nn.SELU</c></summary>
    SELU,
    /// <summary><c>nn.GELU</c> (<see cref="ActivationSpec.Approximate"/>)</summary>
    GELU,
    /// <summary><c>nn.SiLU</c></summary>
    SiLU,
    /// <summary><c>nn.Mish</c></summary>
    Mish,
    /// <summary><c>nn.Sigmoid</c></summary>
    Sigmoid,
    /// <summary><c>nn.Tanh</c></summary>
    Tanh,
    /// <summary><c>nn.Hardswish</c></summary>
    Hardswish,
    /// <summary><c>nn.Hardsigmoid</c></summary>
    Hardsigmoid,
    /// <summary><c>nn.Hardtanh</c> (<see cref="ActivationSpec.MinValue"/>, <see cref="ActivationSpec.MaxValue"/>)</summary>
    Hardtanh,
    /// <summary><c>nn.Softplus</c> (<see cref="ActivationSpec.Alpha"/> = beta, <see cref="ActivationSpec.MaxValue"/> = threshold)</summary>
    Softplus,
    /// <summary><c>nn.Softmax</c> (<see cref="ActivationSpec.Dim"/>)</summary>
    Softmax,
    /// <summary><c>nn.LogSoftmax</c> (<see cref="ActivationSpec.Dim"/>)</summary>
    LogSoftmax,
}

/// <summary>An activation module.</summary>
public sealed class ActivationSpec : ModuleSpec
{
    /// <summary>Which activation.</summary>
    public ActivationKind Kind { get; internal set; }
    /// <summary><c>inplace</c>.</summary>
    public bool InPlace { get; internal set; }
    /// <summary>negative_slope (LeakyReLU), alpha (ELU) or beta (Softplus).</summary>
    public double Alpha { get; internal set; }
    /// <summary>min_val (Hardtanh).</summary>
    public double MinValue { get; internal set; }
    /// <summary>max_val (Hardtanh) or threshold (Softplus).</summary>
    public double MaxValue { get; internal set; }
    /// <summary>GELU's <c>approximate</c>: <c>none</c> or <c>tanh</c>.</summary>
    public string Approximate { get; internal set; } = "none";
    /// <summary>Softmax's <c>dim</c> (<see langword="null"/> when the module was made without one).</summary>
    public long? Dim { get; internal set; }
}
