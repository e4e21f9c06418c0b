using System.Text;
using System.Text.RegularExpressions;
using PtSharp.Errors;

namespace PtSharp.Loading;

/// <summary>
/// Which attributes of each TorchScript class are parameters and buffers, read from the <c>__parameters__</c> and
/// <c>__buffers__</c> lines of the generated <c>code/</c> sources. The code is only scanned as text, never run.
/// </summary>
internal sealed partial class TorchScriptClasses
{
    private readonly Dictionary<string, (HashSet<string> Parameters, HashSet<string> Buffers)> _classes = new(StringComparer.Ordinal);

    public static TorchScriptClasses Read(PtFile file)
    {
        var result = new TorchScriptClasses();
        foreach (var record in file.RecordNames)
        {
            if (!record.StartsWith("code/", StringComparison.Ordinal) || !record.EndsWith(".py", StringComparison.Ordinal)) continue;
            string qualifier = record["code/".Length..^".py".Length].Replace('/', '.');
            string text;
            try { text = Encoding.UTF8.GetString(file.ReadRecord(record)); }
            catch (PtFormatException) { continue; }
            result.Parse(qualifier, text);
        }
        return result;
    }

    private void Parse(string qualifier, string text)
    {
        string? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var cls = ClassLine().Match(line);
            if (cls.Success)
            {
                current = qualifier + "." + cls.Groups[1].Value;
                _classes[current] = (new(StringComparer.Ordinal), new(StringComparer.Ordinal));
                continue;
            }
            if (current is null) continue;
            var list = ListLine().Match(line);
            if (!list.Success) continue;
            var target = list.Groups[1].Value == "parameters" ? _classes[current].Parameters : _classes[current].Buffers;
            foreach (Match name in QuotedName().Matches(list.Groups[2].Value)) target.Add(name.Groups[1].Value);
        }
    }

    public bool TryGet(string className, out HashSet<string> parameters, out HashSet<string> buffers)
    {
        if (_classes.TryGetValue(className, out var c)) { parameters = c.Parameters; buffers = c.Buffers; return true; }
        parameters = buffers = null!;
        return false;
    }

    [GeneratedRegex(@"^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*[(:]")]
    private static partial Regex ClassLine();

    [GeneratedRegex(@"^\s+__(parameters|buffers)__\s*=\s*\[(.*)\]")]
    private static partial Regex ListLine();

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex QuotedName();
}
