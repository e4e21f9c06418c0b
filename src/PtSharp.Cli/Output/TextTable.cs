using System.Text;

namespace PtSharp.Cli.Output;

/// <summary>
/// A plain-text table that fits a width: columns marked <c>wrap</c> shrink (widest first) and their cells wrap,
/// the others keep their full width. Laid out like Spectre's simple border (two-space indent, a rule under the
/// header), at a fraction of its cost, which matters when <c>pt scan</c> prints hundreds of tables.
/// </summary>
internal sealed class TextTable
{
    private const string Gap = "   ";
    private const int Indent = 2;
    private const int MinimumWrapWidth = 8;
    private readonly List<(string Header, bool Right, bool Wrap)> _columns = [];
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a column; <paramref name="wrap"/> lets it shrink and wrap to fit the width.</summary>
    public TextTable Column(string header, bool right = false, bool wrap = false)
    {
        _columns.Add((header, right, wrap));
        return this;
    }

    /// <summary>Adds a row of cells (one per column).</summary>
    public TextTable Row(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    /// <summary>Renders the table into at most <paramref name="width"/> columns where the fixed columns allow.</summary>
    public void Write(TextWriter writer, int width)
    {
        int n = _columns.Count;
        var widths = new int[n];
        for (int c = 0; c < n; c++)
            widths[c] = Math.Max(_columns[c].Header.Length, _rows.Select(r => r[c].Length).DefaultIfEmpty(0).Max());
        int total = Indent + widths.Sum() + Gap.Length * (n - 1);
        if (total > width)
        {
            // Share the room left by the fixed columns among the wrapping ones, in proportion to their full widths.
            int wrapNatural = Enumerable.Range(0, n).Where(c => _columns[c].Wrap).Sum(c => widths[c]);
            int room = width - (total - wrapNatural);
            if (wrapNatural > 0 && room < wrapNatural)
            {
                for (int c = 0; c < n; c++)
                    if (_columns[c].Wrap)
                        widths[c] = Math.Min(widths[c], Math.Max(MinimumWrapWidth, (int)((long)widths[c] * Math.Max(room, 0) / wrapNatural)));
                total = Indent + widths.Sum() + Gap.Length * (n - 1);
                // The minimum widths may have pushed it over again: take the rest from the widest wrapping column.
                while (total > width)
                {
                    int widest = -1;
                    for (int c = 0; c < n; c++)
                        if (_columns[c].Wrap && widths[c] > MinimumWrapWidth && (widest < 0 || widths[c] > widths[widest])) widest = c;
                    if (widest < 0) break;
                    widths[widest]--;
                    total--;
                }
            }
        }
        WriteRow(writer, _columns.Select(c => c.Header).ToArray(), widths);
        writer.WriteLine(new string('─', Math.Min(total, width)));
        foreach (var row in _rows) WriteRow(writer, row, widths);
    }

    private void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var wrapped = cells.Select((text, c) => Wrap(text, widths[c])).ToArray();
        int lines = wrapped.Max(w => w.Count);
        var sb = new StringBuilder();
        for (int line = 0; line < lines; line++)
        {
            sb.Clear().Append(' ', Indent);
            for (int c = 0; c < cells.Length; c++)
            {
                string piece = line < wrapped[c].Count ? wrapped[c][line] : "";
                sb.Append(_columns[c].Right ? piece.PadLeft(widths[c]) : piece.PadRight(widths[c]));
                if (c < cells.Length - 1) sb.Append(Gap);
            }
            writer.WriteLine(sb.ToString().TrimEnd());
        }
    }

    /// <summary>Splits <paramref name="text"/> into lines of at most <paramref name="width"/>, at a space, '/' or '.' when one is near.</summary>
    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        while (text.Length > width)
        {
            int cut = text.LastIndexOfAny([' ', '/', '.', ','], width - 1, width);
            cut = cut >= width / 2 ? cut + 1 : width;
            lines.Add(text[..cut].TrimEnd());
            text = text[cut..].TrimStart();
        }
        lines.Add(text);
        return lines;
    }
}
