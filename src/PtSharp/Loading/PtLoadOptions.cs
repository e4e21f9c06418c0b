using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Torch;
using PtSharp.Zip;

namespace PtSharp.Loading;

/// <summary>Options for <see cref="PtFile.Open(string, PtLoadOptions?)"/>.</summary>
public sealed class PtLoadOptions
{
    /// <summary>
    /// Strict mode mirrors <c>torch.load(weights_only=True)</c> in torch ≥ 2.6: any global outside its allowlist
    /// (plus <see cref="AllowGlobals"/>) throws <see cref="PickleSecurityException"/>. Off by default: unknown globals
    /// then become inert opaque objects. Nothing from the file is ever executed in either mode.
    /// </summary>
    public bool Strict { get; set; }

    /// <summary>Extra globals (<c>module.name</c>) admitted in strict mode, like <c>torch.serialization.add_safe_globals</c>. Modules <c>os</c>, <c>sys</c>, <c>posix</c> and <c>nt</c> stay refused.</summary>
    public HashSet<string> AllowGlobals { get; } = new(StringComparer.Ordinal);

    /// <summary>Limits of the pickle machine.</summary>
    public PickleLimits PickleLimits { get; set; } = new();

    /// <summary>Limits of the zip reader.</summary>
    public ZipLimits ZipLimits { get; set; } = new();

    /// <summary>The part of these options the torch layer reads (strict mode, extra globals, zip limits).</summary>
    internal TorchReadPolicy ToReadPolicy() => new(Strict, AllowGlobals, ZipLimits);
}
