using PtSharp.Errors;

namespace PtSharp.Modules;

/// <summary>
/// A pickled module whose class the registry does not know, typically a user's own <c>nn.Module</c> whose
/// <c>forward</c> is Python code that only exists outside the file.
/// </summary>
public sealed class UnsupportedModuleException : PtFormatException
{
    /// <summary>Creates the exception for the module at <paramref name="path"/> of class <paramref name="pythonClass"/>.</summary>
    public UnsupportedModuleException(string pythonClass, string path)
        : base(PtErrorKind.Unsupported, Compose(pythonClass, path))
    {
        PythonClass = pythonClass;
        ModulePath = path;
    }

    /// <summary>The Python class, e.g. <c>__main__.Net</c>.</summary>
    public string PythonClass { get; }
    /// <summary>Where the module sits in the tree (<c>""</c> for the root, else e.g. <c>layer1.0</c>).</summary>
    public string ModulePath { get; }

    private static string Compose(string cls, string path) =>
        $"module {(path.Length == 0 ? "" : $"'{path}' ")}is a {cls}, whose forward is Python code that is not in the " +
        "file and cannot be rebuilt; define the model in .NET and load the weights into it with module.LoadPt(path)";
}
