using PtSharp.Zip;

namespace PtSharp.Torch;

/// <summary>
/// What the torch layer needs to know about how a file is read: strict mode with its extra globals, and the zip
/// limits for storage records. Loaders build it from their own options, so this layer knows nothing of them.
/// </summary>
/// <param name="Strict">Refuse globals outside torch's weights-only allowlist and <paramref name="AllowGlobals"/>.</param>
/// <param name="AllowGlobals">Extra <c>module.name</c> globals admitted in strict mode.</param>
/// <param name="ZipLimits">Limits for reading storage records out of a zip archive.</param>
internal sealed record TorchReadPolicy(bool Strict, IReadOnlySet<string> AllowGlobals, ZipLimits ZipLimits);
