using System.Text;

namespace PtSharp.Onnx.Script;

/// <summary>
/// Every class and module-level function of a TorchScript archive, parsed from its <c>code/**.py</c> records and
/// found by qualified name (<c>__torch__.torch.nn.modules.conv.___torch_mangle_0.Conv2d</c>).
/// </summary>
internal sealed class ScriptLibrary
{
    private readonly Dictionary<string, ClassDef> _classes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FunctionDef> _functions = new(StringComparer.Ordinal);

    public static ScriptLibrary Load(PtFile file)
    {
        var library = new ScriptLibrary();
        foreach (var record in file.RecordNames)
        {
            if (!record.StartsWith("code/", StringComparison.Ordinal) || !record.EndsWith(".py", StringComparison.Ordinal)) continue;
            string qualifier = record["code/".Length..^".py".Length].Replace('/', '.');
            string text = Encoding.UTF8.GetString(file.ReadRecord(record));
            var (classes, functions) = Parser.ParseRecord(text, record, qualifier);
            foreach (var c in classes) library._classes[c.QualifiedName] = c;
            foreach (var f in functions) library._functions[qualifier + "." + f.Name] = f;
        }
        return library;
    }

    public bool TryGetClass(string qualifiedName, out ClassDef cls) => _classes.TryGetValue(qualifiedName, out cls!);

    public bool TryGetFunction(string qualifiedName, out FunctionDef function) => _functions.TryGetValue(qualifiedName, out function!);

    public int ClassCount => _classes.Count;
}
