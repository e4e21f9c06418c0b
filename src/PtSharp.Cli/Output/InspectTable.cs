using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PtSharp.Cli.Output;

/// <summary>The human-readable form of <c>pt inspect</c>: a summary grid, the tensor table, extra sections.</summary>
internal static class InspectTable
{
    /// <summary>Rendering width: wide enough that cells are never wrapped or cropped.</summary>
    private const int UnlimitedWidth = 4096;

    private static readonly Style KeyStyle = new(Color.Grey);
    private static readonly Style NameStyle = new(Color.Default);
    private static readonly Style DTypeStyle = new(Color.Aqua);
    private static readonly Style DimStyle = new(Color.Grey);
    private static readonly Style WarnStyle = new(Color.Yellow);

    /// <summary>Renders the report to a string (no colors, no terminal width limit).</summary>
    public static string Render(InspectReport report)
    {
        var sw = new StringWriter();
        Write(sw, report, terminal: false);
        return Tidy(sw.ToString());
    }

    /// <summary>Drops the padding Spectre leaves at line ends and collapses runs of blank lines.</summary>
    private static string Tidy(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        bool previousBlank = true;
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line.Length == 0 && previousBlank) continue;
            sb.Append(line).Append('\n');
            previousBlank = line.Length == 0;
        }
        while (sb.Length > 1 && sb[^1] == '\n' && sb[^2] == '\n') sb.Length--;
        return sb.ToString().ReplaceLineEndings();
    }

    /// <summary>
    /// Writes the report to <paramref name="writer"/>. With <paramref name="terminal"/> false no ANSI codes are
    /// written. Lines are never wrapped to a console width.
    /// </summary>
    public static void Write(TextWriter writer, InspectReport report, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Never squeeze the table to the console width: wrapped names and numbers are unreadable, while an
        // over-long line merely wraps in the terminal (or scrolls in a pager).
        console.Profile.Width = UnlimitedWidth;

        console.Write(Summary(report));
        if (report.Tensors.Count > 0)
        {
            console.WriteLine();
            console.Write(Tensors(report));
        }
        if (report.Checkpoint.Kind == PtKind.Checkpoint && report.Checkpoint.Root is PyDict root
            && OtherEntries(report, root) is { } other)
        {
            console.WriteLine();
            console.Write(new Text("Other entries", KeyStyle));
            console.WriteLine();
            console.Write(other);
        }
        if (report.Code is { } code)
        {
            console.WriteLine();
            if (code.Count == 0) console.Write(new Text("No code/ records (not a TorchScript archive).", DimStyle));
            else console.Write(CodeTable(code));
            console.WriteLine();
        }
    }

    private static Grid Summary(InspectReport report)
    {
        var f = report.File;
        var c = report.Counts;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(3)).AddColumn();
        void Row(string key, string value) => grid.AddRow(new Text(key, KeyStyle), new Text(value));
        Row("File", Display.Safe(report.Path));
        if (f is null)
        {
            Row("Format", report.Checkpoint.Format.Name());
            if (report.Checkpoint.Files.Count > 1) Row("Files", Display.Count(report.Checkpoint.Files.Count));
        }
        else
        {
            Row("Format", f.Format.Name());
            Row("Archive name", f.ArchiveName is null ? "-" : Display.Safe(f.ArchiveName));
            Row("Format version", f.FormatVersion is null ? "-" : Display.Safe(f.FormatVersion));
            Row("Byte order", f.ByteOrder);
            Row("Pickle protocol", f.PickleProtocol.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Row("Kind", report.Checkpoint.Kind.Name());
        Row("Tensors", Display.Count(report.Tensors.Count));
        long bytes = c.ParameterBytes;
        Row("Parameters", bytes < 1024
            ? $"{Display.Count(c.Parameters)} ({Display.Count(bytes)} bytes)"
            : $"{Display.Count(c.Parameters)} ({Display.Bytes(bytes)}, {Display.Count(bytes)} bytes)");
        if (c.TiedNames > 0) Row("Tied names", Display.Count(c.TiedNames));
        if (c.BufferTensors > 0) Row("Buffers", $"{Display.Count(c.Buffers)} in {Tensors(c.BufferTensors)}");
        if (c.OtherTensors > 0) Row("Other tensors", $"{Display.Count(c.Other)} in {Tensors(c.OtherTensors)} (outside the state dict)");
        if (f is not null)
        {
            Row("Globals", f.Globals.Count <= 6
                ? (f.Globals.Count == 0 ? "-" : Display.Safe(string.Join(", ", f.Globals)))
                : $"{f.Globals.Count} (--json lists them)");
        }
        foreach (var (key, value) in report.Checkpoint.Metadata) Row("Metadata " + Display.Safe(key), Display.Safe(value));
        return grid;
    }

    private static string Sparsity(InspectReport report, int i) =>
        report.Sparsity?[i] is double z ? z.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static Table Tensors(InspectReport report)
    {
        var tensors = report.Tensors;
        var stats = report.Stats;
        bool anyStrided = tensors.Any(t => !t.Tensor.IsSparse && !t.Tensor.IsContiguous);
        bool anyOffset = tensors.Any(t => !t.Tensor.IsSparse && t.Tensor.StorageOffset != 0);
        bool anyNonFinite = stats is not null && stats.Any(s => s is { NanCount: > 0 } or { InfCount: > 0 });

        var table = new Table().Border(TableBorder.Simple).BorderStyle(DimStyle);
        table.AddColumn("Name");
        table.AddColumn("DType");
        table.AddColumn("Shape");
        if (anyStrided) table.AddColumn("Stride");
        table.AddColumn(new TableColumn("Storage").RightAligned());
        if (anyOffset) table.AddColumn(new TableColumn("Offset").RightAligned());
        table.AddColumn("Flags");
        if (stats is not null)
        {
            table.AddColumn(new TableColumn("Min").RightAligned());
            table.AddColumn(new TableColumn("Max").RightAligned());
            table.AddColumn(new TableColumn("Mean").RightAligned());
            table.AddColumn(new TableColumn("Sum").RightAligned());
            table.AddColumn(new TableColumn("Sparsity").RightAligned());
            if (anyNonFinite)
            {
                table.AddColumn(new TableColumn("NaN").RightAligned());
                table.AddColumn(new TableColumn("Inf").RightAligned());
            }
        }

        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, t) = (tensors[i].Name, tensors[i].Tensor);
            var cells = new List<IRenderable>
            {
                new Text(name.Length == 0 ? "(root)" : Display.Safe(name), NameStyle),
                new Text(t.DType.Name(), DTypeStyle),
                new Text(Display.List(t.Shape)),
            };
            if (anyStrided) cells.Add(new Text(!t.IsSparse && !t.IsContiguous ? Display.List(t.Stride) : ""));
            cells.Add(new Text(t.Storage is null ? "-" : Display.Safe(t.Storage.Key)));
            if (anyOffset) cells.Add(new Text(!t.IsSparse && t.StorageOffset != 0 ? Display.Count(t.StorageOffset) : ""));
            cells.Add(new Text(Flags(t), DimStyle));
            if (stats is not null)
            {
                var s = stats[i];
                if (s is null)
                {
                    cells.Add(new Text("-", DimStyle));
                    cells.Add(new Text("-", DimStyle));
                    cells.Add(new Text("-", DimStyle));
                    cells.Add(new Text("-", DimStyle));
                    cells.Add(new Text(Sparsity(report, i), DimStyle));
                    if (anyNonFinite) { cells.Add(new Text("")); cells.Add(new Text("")); }
                }
                else
                {
                    long finite = InspectReport.StatsElementCount(t) - s.NanCount - s.InfCount;
                    cells.Add(new Text(Display.Number(s.Min)));
                    cells.Add(new Text(Display.Number(s.Max)));
                    cells.Add(new Text(finite <= 0 ? "" : s.SumImag is double im
                        ? Display.Complex(s.Sum / finite, im / finite)
                        : Display.Number(s.Sum / finite)));
                    cells.Add(new Text(s.SumImag is double imag ? Display.Complex(s.Sum, imag) : Display.Number(s.Sum)));
                    cells.Add(new Text(Sparsity(report, i)));
                    if (anyNonFinite)
                    {
                        cells.Add(new Text(s.NanCount == 0 ? "" : Display.Count(s.NanCount), WarnStyle));
                        cells.Add(new Text(s.InfCount == 0 ? "" : Display.Count(s.InfCount), WarnStyle));
                    }
                }
            }
            table.AddRow(cells);
        }
        return table;
    }

    private static string Tensors(int n) => $"{Display.Count(n)} tensor{(n == 1 ? "" : "s")}";

    private static string Flags(PtTensor t)
    {
        var flags = new List<string>(4);
        if (t.RequiresGrad) flags.Add("requires_grad");
        if (t.IsParameter) flags.Add("param");
        if (t.IsConj) flags.Add("conj");
        if (t.IsNeg) flags.Add("neg");
        if (t.Quantization is { } q) flags.Add("quant:" + q.Scheme);
        if (t.IsSparse) flags.Add(t.Layout);
        if (t.IsMeta) flags.Add("meta");
        else if (t.Device != "cpu") flags.Add(Display.Safe(t.Device));
        return string.Join(" ", flags);
    }

    /// <summary>Top-level checkpoint entries that are not tensors themselves, with a short value summary.</summary>
    private static Grid? OtherEntries(InspectReport report, PyDict root)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadLeft(2).PadRight(1)).AddColumn(new GridColumn().NoWrap().PadRight(1)).AddColumn();
        int rows = 0;
        foreach (var (key, value) in root)
        {
            if (value is PtTensor) continue;
            string name = key is string s ? s : Display.Summary(key);
            string prefix = name + ".";
            int held = report.Tensors.Count(t => t.Name.StartsWith(prefix, StringComparison.Ordinal));
            string summary = Display.Summary(value) + (held > 0 ? $" ({Display.Count(held)} tensor{(held == 1 ? "" : "s")})" : "");
            grid.AddRow(new Text(Display.Safe(name)), new Text("="), new Text(summary));
            rows++;
        }
        return rows == 0 ? null : grid;
    }

    private static Table CodeTable(IReadOnlyList<CodeRecord> code)
    {
        var table = new Table().Border(TableBorder.Simple).BorderStyle(DimStyle);
        table.AddColumn("Code record");
        table.AddColumn(new TableColumn("Size").RightAligned());
        foreach (var c in code) table.AddRow(new Text(Display.Safe(c.Name)), new Text(Display.Count(c.Size)));
        return table;
    }
}
