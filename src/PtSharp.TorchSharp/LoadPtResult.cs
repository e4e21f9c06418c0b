namespace PtSharp.TorchSharp;

/// <summary>What <c>LoadPt</c> did (with <c>strict: false</c>, the keys it could not match).</summary>
/// <param name="Loaded">Number of module entries filled from the file.</param>
/// <param name="Missing">Module keys the file lacked (left as they were).</param>
/// <param name="Unexpected">File keys the module lacks (ignored).</param>
public sealed record LoadPtResult(int Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
