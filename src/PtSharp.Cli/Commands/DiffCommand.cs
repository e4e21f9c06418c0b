using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Cli.Options;
using PtSharp.Cli.Output;
using PtSharp.Conversion;
using PtSharp.Diff;
using PtSharp.Errors;
using PtSharp.Sharding;
using PtSharp.Tensors;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt diff A B [--atol X] [--rtol X] [--json] [--key-a PATH] [--key-b PATH]</c>: compare two checkpoints in any
/// supported format. Exit 0 when equal within tolerance, 1 when different, 2 when either cannot be read.
/// </summary>
internal static class DiffCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Creates the <c>diff</c> command.</summary>
    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "First checkpoint: .pt/.pth/.bin, .safetensors, a sharded checkpoint's *.index.json, or a folder holding one." };
        var b = new Argument<string>("B") { Description = "Second checkpoint (the reference for relative differences)." };
        var atol = NumberOption.Create("--atol", "Absolute tolerance (default 0).", 0);
        var rtol = NumberOption.Create("--rtol", "Relative tolerance, as a fraction of B's value (default 0). Values are equal when |a-b| <= atol + rtol*|b|.", 0);
        var json = new Option<bool>("--json") { Description = "Print one JSON document to stdout instead of text." };
        var keyA = new Option<string?>("--key-a") { Description = "For a .pt A, compare the state dict under this dotted path (e.g. model_state_dict)." };
        var keyB = new Option<string?>("--key-b") { Description = "For a .pt B, compare the state dict under this dotted path." };
        var command = new Command("diff", "Compare two checkpoints (any formats, e.g. a .pt and its .safetensors): keys only in one, dtype/shape changes, per-key max abs/rel difference. Exit 0 equal, 1 different, 2 unreadable.")
        {
            a, b, atol, rtol, json, keyA, keyB,
        };
        command.SetAction(parse => Run(
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            parse.GetValue(a)!,
            parse.GetValue(b)!,
            parse.GetValue(atol),
            parse.GetValue(rtol),
            parse.GetValue(json),
            parse.GetValue(keyA),
            parse.GetValue(keyB)));
        return command;
    }

    /// <summary>Compares <paramref name="pathA"/> with <paramref name="pathB"/> and writes the result to <paramref name="stdout"/>.</summary>
    /// <returns><see cref="Equal"/>, <see cref="Different"/> or <see cref="Trouble"/>.</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string pathA, string pathB, double atol, double rtol, bool json, string? keyA = null, string? keyB = null)
    {
        if (!(atol >= 0) || !(rtol >= 0)) return Fail(stderr, "error: --atol and --rtol must be non-negative numbers");
        Checkpoint? a = null, b = null;
        try
        {
            a = Open(pathA, keyA, stderr, out int codeA);
            if (a is null) return codeA;
            b = Open(pathB, keyB, stderr, out int codeB);
            if (b is null) return codeB;
            DiffReport report;
            try
            {
                report = CheckpointDiff.Compare(a.StateDict, b.StateDict, new DiffOptions { Atol = atol, Rtol = rtol });
            }
            catch (Exception e) when (e is PtFormatException or InvalidOperationException or NotSupportedException)
            {
                return Fail(stderr, "error: " + e.Message);
            }
            stdout.Write(json ? RenderJson(pathA, a, pathB, b, report) : RenderText(pathA, a, pathB, b, report));
            stdout.Flush();
            return report.Equal ? ExitCodes.Ok : ExitCodes.DiffDifferent;
        }
        finally
        {
            a?.Dispose();
            b?.Dispose();
        }
    }

    private static Checkpoint? Open(string path, string? key, TextWriter stderr, out int code)
    {
        code = ExitCodes.DiffTrouble;
        if (!File.Exists(path) && !Directory.Exists(path)) { Fail(stderr, $"error: no such file: {path}"); return null; }
        try
        {
            return Checkpoint.Open(path, new CheckpointOptions { StateDictKey = key });
        }
        catch (PtFormatException e) { Fail(stderr, $"error: {path}: {e.Message}"); }
        catch (KeyNotFoundException e) { Fail(stderr, "error: " + e.Message); }
        catch (ArgumentException e) { Fail(stderr, "error: " + e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fail(stderr, $"error: cannot read {path}: {e.Message}"); }
        return null;
    }

    private static string Shape(DType t, IReadOnlyList<long> shape) => $"{t.Name()}[{string.Join(", ", shape)}]";

    private static string Num(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNaN(v) ? "nan" : v.ToString("G6", Inv);

    internal static string RenderText(string pathA, Checkpoint a, string pathB, Checkpoint b, DiffReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Display.Safe($"A: {pathA} ({a.Format.Name()}, {a.StateDict.Count} tensors)"));
        sb.AppendLine(Display.Safe($"B: {pathB} ({b.Format.Name()}, {b.StateDict.Count} tensors)"));
        sb.AppendLine(string.Create(Inv, $"tolerance: |a-b| <= {r.Options.Atol:G6} + {r.Options.Rtol:G6}*|b|"));
        if (r.OnlyInA.Count > 0)
        {
            sb.AppendLine($"only in A ({r.OnlyInA.Count}):");
            foreach (var k in r.OnlyInA) sb.AppendLine(Display.Safe("  " + k));
        }
        if (r.OnlyInB.Count > 0)
        {
            sb.AppendLine($"only in B ({r.OnlyInB.Count}):");
            foreach (var k in r.OnlyInB) sb.AppendLine(Display.Safe("  " + k));
        }
        var changed = r.Tensors.Where(t => t.DTypeChanged || t.ShapeChanged).ToList();
        if (changed.Count > 0)
        {
            sb.AppendLine($"dtype/shape changes ({changed.Count}):");
            foreach (var t in changed) sb.AppendLine(Display.Safe($"  {t.Name}: {Shape(t.DTypeA, t.ShapeA)} -> {Shape(t.DTypeB, t.ShapeB)}"));
        }
        var differing = r.Tensors.Where(t => !t.ShapeChanged && t.Mismatched != 0).ToList();
        if (differing.Count > 0)
        {
            sb.AppendLine($"different values ({differing.Count}):");
            int width = Math.Min(60, differing.Max(t => t.Name.Length));
            sb.AppendLine($"  {"key".PadRight(width)}  {"max abs diff",12}  {"max rel diff",12}  {"mismatched",18}");
            foreach (var t in differing)
            {
                string mismatched = t.Mismatched < 0 ? "-" : $"{t.Mismatched.ToString("N0", Inv)}/{t.Elements.ToString("N0", Inv)}";
                sb.AppendLine(Display.Safe($"  {t.Name.PadRight(width)}  {Num(t.MaxAbsDiff),12}  {Num(t.MaxRelDiff),12}  {mismatched,18}" + (t.Note is null ? "" : "  " + t.Note)));
            }
        }
        int equal = r.Tensors.Count(t => t.Equal);
        var within = r.Tensors.Where(t => t.Equal && t.MaxAbsDiff > 0).ToList();
        sb.AppendLine($"equal: {equal} of {r.Tensors.Count} shared tensors" + (within.Count > 0 ? $" ({within.Count} within tolerance, largest abs diff {Num(within.Max(t => t.MaxAbsDiff))})" : ""));
        sb.AppendLine(r.Equal ? "result: equal" : "result: different");
        return sb.ToString();
    }

    internal static string RenderJson(string pathA, Checkpoint a, string pathB, Checkpoint b, DiffReport r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteBoolean("equal", r.Equal);
            Side(w, "a", pathA, a);
            Side(w, "b", pathB, b);
            w.WriteNumber("atol", r.Options.Atol);
            w.WriteNumber("rtol", r.Options.Rtol);
            w.WriteStartArray("only_in_a");
            foreach (var k in r.OnlyInA) w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteStartArray("only_in_b");
            foreach (var k in r.OnlyInB) w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteStartObject("summary");
            w.WriteNumber("shared", r.Tensors.Count);
            w.WriteNumber("equal", r.Tensors.Count(t => t.Equal));
            w.WriteNumber("dtype_changed", r.Tensors.Count(t => t.DTypeChanged));
            w.WriteNumber("shape_changed", r.Tensors.Count(t => t.ShapeChanged));
            w.WriteNumber("values_different", r.Tensors.Count(t => !t.ShapeChanged && t.Mismatched != 0));
            w.WriteEndObject();
            w.WriteStartArray("tensors");
            foreach (var t in r.Tensors)
            {
                w.WriteStartObject();
                w.WriteString("key", t.Name);
                w.WriteString("dtype_a", t.DTypeA.Name());
                w.WriteString("dtype_b", t.DTypeB.Name());
                Ints(w, "shape_a", t.ShapeA);
                Ints(w, "shape_b", t.ShapeB);
                w.WriteBoolean("equal", t.Equal);
                w.WriteBoolean("values_equal", t.ValuesEqual);
                w.WriteNumber("elements", t.Elements);
                if (t.Mismatched >= 0) w.WriteNumber("mismatched", t.Mismatched); else w.WriteNull("mismatched");
                w.WriteNumber("nan_mismatched", t.NaNMismatches);
                Number(w, "max_abs_diff", t.MaxAbsDiff);
                Number(w, "max_rel_diff", t.MaxRelDiff);
                if (t.Note is not null) w.WriteString("note", t.Note);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    private static void Side(Utf8JsonWriter w, string name, string path, Checkpoint s)
    {
        w.WriteStartObject(name);
        w.WriteString("path", path);
        w.WriteString("format", s.Format.Name());
        w.WriteNumber("tensors", s.StateDict.Count);
        w.WriteEndObject();
    }

    private static void Ints(Utf8JsonWriter w, string name, IReadOnlyList<long> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>JSON has no infinity: infinite differences are written as the string "inf".</summary>
    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, Num(v));
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine(Display.OneLine(message));
        stderr.Flush();
        return ExitCodes.DiffTrouble;
    }
}
