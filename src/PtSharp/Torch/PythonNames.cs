namespace PtSharp.Torch;

/// <summary>Normalises global names the way Python 3's unpickler (fix_imports) and torch.load do.</summary>
internal static class PythonNames
{
    public static (string Module, string Name) Normalize(string module, string name)
    {
        switch (module)
        {
            case "__builtin__":
                module = "builtins";
                name = name switch { "xrange" => "range", "unicode" => "str", "long" => "int", "basestring" => "str", _ => name };
                break;
            case "copy_reg": module = "copyreg"; break;
            case "torch.tensor": module = "torch._tensor"; break; // torch.load's load_module_mapping
            case "UserDict": module = "collections"; if (name == "IterableUserDict") name = "UserDict"; break;
            case "UserList": module = "collections"; break;
            case "_abcoll": module = "collections.abc"; break;
        }
        return (module, name);
    }
}
