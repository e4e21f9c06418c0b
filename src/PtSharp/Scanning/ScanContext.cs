namespace PtSharp.Scanning;

/// <summary>Collects the findings and globals of one file's scan (not thread-safe: one per file).</summary>
internal sealed class ScanContext
{
    private readonly Dictionary<(string Module, string Name), GlobalEntry> _globals = new();
    private readonly HashSet<(string Record, string Global, ScanFindingKind Kind)> _reported = new();

    public ScanContext(ScanOptions options)
    {
        Options = options;
    }

    public ScanOptions Options { get; }
    public List<ScanFinding> Findings { get; } = [];
    public int PickleCount { get; set; }
    public bool Malformed { get; set; }

    /// <summary>Bytes the scan may still tokenize or inflate. Aliased zip members and nested loaders could otherwise make it re-read the same bytes without end.</summary>
    public long Budget { get; set; } = long.MaxValue;

    private bool _budgetReported;

    /// <summary>Charges <paramref name="bytes"/> against <see cref="Budget"/>; false (with one dangerous finding) once it is spent.</summary>
    public bool Spend(long bytes, string? record)
    {
        Budget -= Math.Max(0, bytes);
        if (Budget >= 0) return true;
        if (!_budgetReported)
        {
            _budgetReported = true;
            Add(ScanSeverity.Dangerous, ScanFindingKind.LimitReached, null, record, null,
                "the file makes the scanner read far more bytes than it holds (aliased members, nested copies); the rest was not scanned, so the file cannot be judged safe");
        }
        return false;
    }

    private sealed class GlobalEntry(string module, string name, GlobalVerdict verdict, string? reason, string record, long offset)
    {
        public string Module = module, Name = name, Record = record;
        public string? Reason = reason;
        public GlobalVerdict Verdict = verdict;
        public long Offset = offset;
        public int Count;
        public bool Judged = true;
    }

    public IReadOnlyList<ScanGlobal> Globals =>
        _globals.Values.Select(g => new ScanGlobal(g.Module, g.Name, g.Verdict, g.Record, g.Offset, g.Count, g.Reason))
            .OrderByDescending(g => g.Verdict).ThenBy(g => g.Module, StringComparer.Ordinal).ThenBy(g => g.Name, StringComparer.Ordinal).ToList();

    private readonly Dictionary<ScanFindingKind, int> _perKind = new();
    private const int MaxPerKind = 50;

    public void Add(ScanSeverity severity, ScanFindingKind kind, string? global, string? record, long? offset, string message, long? fileOffset = null)
    {
        // A crafted file can repeat one trick thousands of times; list the first ones of each kind and say how it goes on.
        int n = _perKind[kind] = _perKind.GetValueOrDefault(kind) + 1;
        if (n > MaxPerKind)
        {
            if (n == MaxPerKind + 1)
                Findings.Add(new ScanFinding(severity, kind, null, record, offset, $"more than {MaxPerKind} findings of this kind; the rest are not listed"));
            return;
        }
        if (Findings.Count >= Options.MaxFindings)
        {
            if (Findings.Count == Options.MaxFindings)
                Findings.Add(new ScanFinding(ScanSeverity.Warning, ScanFindingKind.LimitReached, null, record, offset, $"more than {Options.MaxFindings} findings; the rest are not listed"));
            return;
        }
        Findings.Add(new ScanFinding(severity, kind, global, record, offset, message) { FileOffset = fileOffset });
    }

    /// <summary>Records one reference to a global (already mapped and normalised); judging waits for its use.</summary>
    public void Reference(string module, string name, string record, long offset)
    {
        if (!_globals.TryGetValue((module, name), out var g))
        {
            var (verdict, reason) = ScanPolicy.Classify(module, name, Options.AllowGlobals);
            // The list shows the name's verdict until a use decides otherwise (calls raise it, inert classes lower it).
            if (verdict == GlobalVerdict.Unknown && UsePolicy.IsInert(module + "." + name)) verdict = GlobalVerdict.Safe;
            g = new GlobalEntry(module, name, verdict, reason, record, offset) { Judged = false };
            _globals[(module, name)] = g;
        }
        g.Count++;
    }

    /// <summary>
    /// Judges one use of a global: raises its listed verdict to the use's, and the first time per record and kind
    /// adds a finding (dangerous, or a warning for unknown globals).
    /// </summary>
    public void Judge(string module, string name, GlobalUse use, string record, long offset, string what, long? fileOffset)
    {
        var (verdict, reason) = UsePolicy.Judge(module, name, use, Options.AllowGlobals);
        if (!_globals.TryGetValue((module, name), out var g))
        {
            g = new GlobalEntry(module, name, verdict, reason, record, offset);
            _globals[(module, name)] = g;
        }
        if (!g.Judged || verdict > g.Verdict)
        {
            g.Verdict = verdict;
            g.Reason = reason ?? g.Reason;
            g.Judged = true;
        }
        if (verdict == GlobalVerdict.Safe) return;
        string full = module + "." + name;
        var kind = verdict == GlobalVerdict.Dangerous ? ScanFindingKind.DangerousGlobal : ScanFindingKind.UnknownGlobal;
        if (!_reported.Add((record, full, kind))) return;
        if (verdict == GlobalVerdict.Dangerous)
            Add(ScanSeverity.Dangerous, kind, full, record, offset, $"{what} {full}: {reason}", fileOffset);
        else
            Add(ScanSeverity.Warning, kind, full, record, offset,
                $"{what} {full}, which is not in torch's weights-only allowlist: loading it in Python imports and runs that module's code", fileOffset);
    }

    /// <summary>
    /// A use of a global that is inert by its shape (getattr of a constant attribute of a class, copyreg's plain-object
    /// reconstructor): it lists the global as safe unless another use was judged already.
    /// </summary>
    public void Vouch(string module, string name)
    {
        if (_globals.TryGetValue((module, name), out var g) && !g.Judged)
        {
            g.Verdict = GlobalVerdict.Safe;
            g.Reason = null;
            g.Judged = true;
        }
    }
}
