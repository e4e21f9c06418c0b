namespace PtSharp.Tensors;

/// <summary>A tensor with its dotted name.</summary>
/// <param name="Name">Dotted path, e.g. <c>model_state_dict.fc.weight</c>.</param>
/// <param name="Tensor">The tensor.</param>
public sealed record NamedTensor(string Name, PtTensor Tensor);
