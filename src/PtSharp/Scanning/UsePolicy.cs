namespace PtSharp.Scanning;

/// <summary>How a pickle uses a global it imports, from the least to the most capable.</summary>
internal enum GlobalUse
{
    /// <summary>Imported and kept as a value (an argument, a dict entry): only its module's import runs.</summary>
    Referenced,
    /// <summary>A class instantiated the way pickle rebuilds plain objects: <c>cls.__new__(cls)</c> then a state dict.</summary>
    Rebuilt,
    /// <summary>Called with arguments (REDUCE, INST, OBJ, NEWOBJ with arguments, or called by a reconstructor).</summary>
    Called,
    /// <summary>The target of BUILD itself (a module or class whose attributes the pickle overwrites).</summary>
    Patched,
}

/// <summary>
/// Verdicts by use: a global the pickle calls is dangerous unless it is known to be inert; a class only rebuilt as a
/// plain object is a warning; a reference is judged by name. The denylist (<see cref="ScanPolicy"/>) still gives the
/// reasons and can never be overridden by the caller's allowlist.
/// </summary>
internal static class UsePolicy
{
    /// <summary>
    /// Callables whose call builds a value and nothing else, although torch's weights-only allowlist does not admit
    /// them: calling them is a warning (unknown to torch), not a payload. Some are on the denylist by module
    /// (<c>pathlib</c>): constructing a path touches no file.
    /// </summary>
    public static IReadOnlySet<string> InertCallables { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "builtins.frozenset", "builtins.slice", "builtins.str", "builtins.int", "builtins.float", "builtins.bool",
        "builtins.bytes", "builtins.tuple", "builtins.list", "builtins.dict", "builtins.range", "builtins.object",
        "pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePath", "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath", "collections.deque", "collections.defaultdict", "datetime.datetime",
        "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone", "decimal.Decimal",
        "fractions.Fraction", "uuid.UUID", "argparse.Namespace", "types.SimpleNamespace",
        "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
    };

    /// <summary>
    /// Globals vouched for even in strict mode: torch's own layer classes (their <c>__setstate__</c> only restores
    /// attributes), torch's layout and memory-format constants, and path classes. Rebuilding, referencing or (for
    /// <see cref="InertCallables"/>) calling them gives no finding.
    /// </summary>
    public static IReadOnlySet<string> InertGlobals { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "torch.strided", "torch.sparse_coo", "torch.sparse_csr", "torch.sparse_csc", "torch.sparse_bsr",
        "torch.sparse_bsc", "torch._mkldnn", "torch.contiguous_format", "torch.channels_last",
        "torch.channels_last_3d", "torch.preserve_format", "torch.ScriptObject",
        "pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePath", "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath", "collections.deque", "collections.defaultdict",
    };

    /// <summary>Module prefixes of torch layer classes vouched for (see <see cref="InertGlobals"/>).</summary>
    public static IReadOnlyList<string> InertClassModules { get; } =
    [
        "torch.nn.modules.", "torch.ao.nn.", "torch.nn.quantized.", "torch.nn.intrinsic.", "torch.nn.qat.",
        "torch.nn.quantizable.", "torch.ao.quantization.observer.", "torch.ao.quantization.fake_quantize.",
    ];

    /// <summary>
    /// Module prefixes of callables that only build values: torch's tensor reconstructors (<c>_rebuild_*</c>) and the
    /// list and type-tag helpers of TorchScript pickles (<c>torch.jit._pickle.build_intlist</c>, ...).
    /// </summary>
    public static IReadOnlyList<string> InertCallablePrefixes { get; } = ["torch._utils._rebuild_", "torch.jit._pickle."];

    /// <summary>True when calling <paramref name="full"/> builds a value and nothing else.</summary>
    public static bool IsInertCallable(string full)
    {
        if (InertCallables.Contains(full)) return true;
        foreach (var prefix in InertCallablePrefixes)
            if (full.StartsWith(prefix, StringComparison.Ordinal) && !IsDunderPath(full)) return true;
        return false;
    }

    /// <summary>True when <paramref name="full"/> is vouched for (no finding, even in strict mode).</summary>
    public static bool IsInert(string full)
    {
        foreach (var prefix in InertCallablePrefixes)
            if (full.StartsWith(prefix, StringComparison.Ordinal) && !IsDunderPath(full)) return true;
        if (InertGlobals.Contains(full)) return true;
        foreach (var prefix in InertClassModules)
            if (full.StartsWith(prefix, StringComparison.Ordinal) && !IsDunderPath(full)) return true;
        return false;
    }

    /// <summary>The verdict on <paramref name="module"/>.<paramref name="name"/> used as <paramref name="use"/>.</summary>
    public static (GlobalVerdict Verdict, string? Reason) Judge(string module, string name, GlobalUse use, IReadOnlySet<string>? allowed)
    {
        var (verdict, reason) = ScanPolicy.Classify(module, name, allowed);
        string full = module + "." + name;
        switch (use)
        {
            case GlobalUse.Patched:
                return (GlobalVerdict.Dangerous, (reason is null ? "" : reason + "; ")
                    + "BUILD overwrites attributes of the module or class itself, replacing what other code calls");
            case GlobalUse.Called:
                if (verdict == GlobalVerdict.Safe) return (verdict, null);
                if (IsInertCallable(full)) return (IsInert(full) ? GlobalVerdict.Safe : GlobalVerdict.Unknown, null);
                if (verdict == GlobalVerdict.Dangerous) return (verdict, reason);
                return (GlobalVerdict.Dangerous, "call: the pickle calls it with arguments, and it is not known to be inert "
                    + "(any function outside torch's allowlist can run commands, write files or load more code)");
            default:
                return IsInert(full) && verdict != GlobalVerdict.Safe ? (GlobalVerdict.Safe, null) : (verdict, reason);
        }
    }

    private static bool IsDunderPath(string full)
    {
        foreach (var part in full.Split('.'))
            if (part.Length > 4 && part.StartsWith("__", StringComparison.Ordinal) && part.EndsWith("__", StringComparison.Ordinal))
                return true;
        return false;
    }
}
