using System.Globalization;
using System.Numerics;
using System.Text;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary>Formatting helpers for human-readable output.</summary>
internal static class Display
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Collapses a message to one line (for the single stderr line of an error).</summary>
    public static string OneLine(string message) =>
        Safe(message.ReplaceLineEndings(" ").Trim());

    /// <summary>
    /// Makes text from a file safe to print to a terminal: control characters (escape sequences could otherwise
    /// rewrite the screen) are shown as <c>\xNN</c> / <c>\uNNNN</c>.
    /// </summary>
    public static string Safe(string text)
    {
        bool clean = true;
        foreach (char c in text) if (char.IsControl(c) || c is '\u2028' or '\u2029') { clean = false; break; }
        if (clean) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c == '\t') sb.Append(' ');
            else if (c < 0x100 && char.IsControl(c)) sb.Append("\\x").Append(((int)c).ToString("x2", Inv));
            else if (char.IsControl(c) || c is '\u2028' or '\u2029') sb.Append("\\u").Append(((int)c).ToString("x4", Inv));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>A shape or stride list: <c>[8, 4]</c>.</summary>
    public static string List(IReadOnlyList<long> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString(Inv))) + "]";

    /// <summary>An integer with thousands separators.</summary>
    public static string Count(long n) => n.ToString("N0", Inv);

    /// <summary>A byte count: <c>268 B</c>, <c>44.6 MiB</c>.</summary>
    public static string Bytes(long n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        if (n < 1024) return n.ToString(Inv) + " B";
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return v.ToString(v >= 100 ? "F0" : "F1", Inv) + " " + units[u];
    }

    /// <summary>A statistic: 5 significant digits, <c>nan</c>/<c>inf</c>/<c>-inf</c>, or an empty string for null.</summary>
    public static string Number(double? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "nan",
        double d when double.IsPositiveInfinity(d) => "inf",
        double d when double.IsNegativeInfinity(d) => "-inf",
        double d => d.ToString("G5", Inv).Replace("E", "e", StringComparison.Ordinal),
    };

    /// <summary>A complex number as Python prints it: <c>(1.5-2j)</c>.</summary>
    public static string Complex(double re, double im)
    {
        string imag = Number(Math.Abs(im));
        string sign = im < 0 || double.IsNegative(im) ? "-" : "+";
        return $"({Number(re)}{sign}{imag}j)";
    }

    /// <summary>
    /// A short, single-line summary of a Python value for the checkpoint key list: <c>3</c>, <c>0.25</c>,
    /// <c>'resnet'</c>, <c>argparse.Namespace</c>, <c>dict[12]</c>, <c>tensor float32 [3, 4]</c>.
    /// </summary>
    public static string Summary(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(Inv),
        BigInteger big => Truncate(big.ToString(Inv), 40),
        double d => PythonFloat(d),
        System.Numerics.Complex c => Complex(c.Real, c.Imaginary),
        string s => "'" + Safe(Truncate(s, 60)) + "'",
        byte[] bytes => $"bytes[{bytes.Length}]",
        PyByteArray ba => $"bytearray[{ba.Data.Length}]",
        PtTensor t => $"tensor {t.DType.Name()} {List(t.Shape)}",
        PyDict d => $"{ShortClass(d.ClassName) ?? "dict"}[{d.Count}]",
        PyList l => $"list[{l.Count}]",
        PyTuple t => $"{ShortClass(t.ClassName) ?? "tuple"}[{t.Count}]",
        PySet s => $"{(s.IsFrozen ? "frozenset" : "set")}[{s.Count}]",
        PyObject o => o.Class is { } g ? Safe(g.FullName) : "object",
        PyGlobal g => Safe(g.FullName),
        TorchDevice dev => $"device {dev}",
        TorchLayout layout => layout.Name,
        _ => Safe(Truncate(value.ToString() ?? value.GetType().Name, 60)),
    };

    private static string? ShortClass(string? className) => className switch
    {
        null => null,
        "collections.OrderedDict" => "OrderedDict",
        _ => Safe(className),
    };

    private static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string r = d.ToString("R", Inv);
        return r.Contains('.') || r.Contains('E') ? r.Replace("E", "e") : r + ".0";
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
