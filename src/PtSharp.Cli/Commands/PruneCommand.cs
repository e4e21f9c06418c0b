using System.CommandLine;
using System.Globalization;
using PtSharp.Cli.Output;
using PtSharp.Optimization;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt prune IN OUT [--amount X] [--scope layer|global] [--include RE]... [--exclude RE]... [--keep-mask]
/// [--structured N]</c> and <c>pt prune --fold IN OUT</c>: magnitude pruning with torch.nn.utils.prune's masks,
/// and prune.remove as a file transform.
/// </summary>
internal static class PruneCommand
{
    /// <summary>Everything <c>pt prune</c> can be asked besides IN and OUT.</summary>
    internal sealed class Settings
    {
        public string Amount { get; init; } = "0.3";
        public string Scope { get; init; } = "layer";
        public IReadOnlyList<string> Include { get; init; } = [];
        public IReadOnlyList<string> Exclude { get; init; } = [];
        public bool KeepMask { get; init; }
        public string? Structured { get; init; }
        public bool Fold { get; init; }
    }

    /// <summary>Creates the <c>prune</c> command.</summary>
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "A state dict or pickled model (.pt/.pth/.bin) or a .safetensors." };
        var output = new Argument<string>("OUT") { Description = "The pruned state dict (.pt)." };
        var amount = new Option<string>("--amount") { Description = "Fraction to prune in [0, 1] (of elements, or of output channels with --structured); an integer is a count, as torch's amount. Default 0.3.", DefaultValueFactory = _ => "0.3" };
        var scope = new Option<string>("--scope") { Description = "layer: each tensor on its own (prune.l1_unstructured); global: all selected tensors together (prune.global_unstructured).", DefaultValueFactory = _ => "layer" };
        var include = new Option<string[]>("--include") { Description = "Prune tensors whose name matches this regular expression (default: every *.weight of rank 2 or more). Repeatable." };
        var exclude = new Option<string[]>("--exclude") { Description = "Leave tensors whose name matches this regular expression alone. Repeatable." };
        var keepMask = new Option<bool>("--keep-mask") { Description = "Write X_orig + X_mask (as torch's pruning hooks keep them) instead of the pruned X." };
        var structured = new Option<string?>("--structured") { Description = "Ln-structured pruning of output channels with this norm (1, 2, inf...), as prune.ln_structured(n=N, dim=0)." };
        var fold = new Option<bool>("--fold") { Description = "Instead of pruning: fold every X_orig/X_mask pair into X = X_orig * X_mask, as prune.remove does, so the file loads into the plain model." };
        var command = new Command("prune", "Magnitude-prune weights with the masks torch.nn.utils.prune computes (L1 unstructured per layer or global, Ln structured), or fold pruning masks (--fold).")
        {
            input, output, amount, scope, include, exclude, keepMask, structured, fold,
        };
        command.SetAction(parse => Run(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error,
            parse.GetValue(input)!, parse.GetValue(output)!, new Settings
            {
                Amount = parse.GetValue(amount) ?? "0.3",
                Scope = parse.GetValue(scope) ?? "layer",
                Include = parse.GetValue(include) ?? [],
                Exclude = parse.GetValue(exclude) ?? [],
                KeepMask = parse.GetValue(keepMask),
                Structured = parse.GetValue(structured),
                Fold = parse.GetValue(fold),
            }));
        return command;
    }

    /// <summary>Prunes (or folds) <paramref name="inPath"/> into <paramref name="outPath"/> and prints the sparsity report.</summary>
    /// <returns>0 ok, 1 usage error, 2 unreadable input, 3 write failure.</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string inPath, string outPath, Settings s)
    {
        PruneReport? report = null;
        if (s.Fold)
        {
            if (s.KeepMask || s.Structured is not null || s.Include.Count > 0 || s.Exclude.Count > 0 || s.Scope != "layer" || s.Amount != "0.3")
                return OptimizeRunner.Fail(stderr, "error: --fold takes only IN and OUT (it folds every X_orig/X_mask pair)", ExitCodes.Usage);
            int folded = OptimizeRunner.Run(stderr, inPath, outPath, () => report = PruningFold.FoldFile(inPath, outPath));
            if (folded != ExitCodes.Ok) return folded;
            Print(stdout, stderr, report!, outPath, "folded");
            return ExitCodes.Ok;
        }
        var options = new PruneOptions { KeepMask = s.KeepMask };
        if (!ParseAmount(s.Amount, options)) return OptimizeRunner.Fail(stderr, $"error: --amount '{s.Amount}' is not a fraction in [0, 1] or a count", ExitCodes.Usage);
        options.Scope = s.Scope.ToLowerInvariant() switch { "layer" => PruneScope.Layer, "global" => PruneScope.Global, _ => (PruneScope)(-1) };
        if ((int)options.Scope < 0) return OptimizeRunner.Fail(stderr, $"error: --scope '{s.Scope}' is not layer or global", ExitCodes.Usage);
        if (s.Structured is not null)
        {
            if (!TryParseNorm(s.Structured, out double n)) return OptimizeRunner.Fail(stderr, $"error: --structured '{s.Structured}' is not a norm order (1, 2, inf, -inf, fro)", ExitCodes.Usage);
            options.StructuredNorm = n;
        }
        foreach (var p in s.Include) options.Include.Add(p);
        foreach (var p in s.Exclude) options.Exclude.Add(p);
        int code = OptimizeRunner.Run(stderr, inPath, outPath, () => report = MagnitudePruner.Prune(inPath, outPath, options));
        if (code != ExitCodes.Ok) return code;
        Print(stdout, stderr, report!, outPath, "pruned");
        return ExitCodes.Ok;
    }

    private static bool ParseAmount(string text, PruneOptions options)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long count)) { options.Count = count; return true; }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double fraction) || !(fraction >= 0 && fraction <= 1)) return false;
        options.Amount = fraction;
        return true;
    }

    private static bool TryParseNorm(string text, out double n)
    {
        switch (text.ToLowerInvariant())
        {
            case "inf" or "+inf": n = double.PositiveInfinity; return true;
            case "-inf": n = double.NegativeInfinity; return true;
            case "fro": n = 2; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out n) && !double.IsNaN(n);
    }

    private static void Print(TextWriter stdout, TextWriter stderr, PruneReport r, string outPath, string verb)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var n in r.Notes) stderr.WriteLine(Display.OneLine("note: " + n));
        if (r.Tensors.Count > 0)
        {
            int width = Math.Max(6, r.Tensors.Max(t => t.Name.Length));
            stdout.WriteLine($"{"tensor".PadRight(width)}  {"elements",12} {verb,12} {"sparsity",9}");
            foreach (var t in r.Tensors)
                stdout.WriteLine(Display.OneLine($"{t.Name.PadRight(width)}  {t.Elements.ToString("N0", inv),12} {t.Pruned.ToString("N0", inv),12} {t.Sparsity.ToString("P2", inv),9}"));
        }
        stdout.WriteLine($"overall: {r.TotalZeros.ToString("N0", inv)} of {r.TotalElements.ToString("N0", inv)} elements of {r.Tensors.Count} tensor(s) are zero ({r.Sparsity.ToString("P2", inv)})");
        stdout.WriteLine($"tensor bytes: {OptimizeRunner.Bytes(r.BytesBefore)} -> {OptimizeRunner.Bytes(r.BytesAfter)}");
        stdout.WriteLine(Display.OneLine($"wrote {outPath} ({new FileInfo(outPath).Length.ToString("N0", inv)} bytes)"));
        stdout.Flush();
    }
}
