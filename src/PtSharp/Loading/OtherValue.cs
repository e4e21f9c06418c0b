namespace PtSharp.Loading;

/// <summary>A value of a .pt file outside its state dict.</summary>
/// <param name="Path">Dotted path from the root (or from the <c>--key</c> entry); empty for the root itself.</param>
/// <param name="Description">What it is, e.g. <c>int 3</c> or <c>dict (2 entries, 4 tensors)</c>.</param>
public sealed record OtherValue(string Path, string Description);
