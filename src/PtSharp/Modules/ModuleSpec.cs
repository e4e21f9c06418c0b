using PtSharp.Errors;
using PtSharp.Pickle;

namespace PtSharp.Modules;

/// <summary>
/// A typed description of one pickled <c>torch.nn.Module</c>, read from the inert object tree of
/// <c>torch.save(model)</c>: its Python class, hyper-parameters, parameter and buffer names and children in the
/// order the module registered them. Nothing from the file was executed to make it.
/// </summary>
public abstract class ModuleSpec
{
    /// <summary>The Python class, e.g. <c>torch.nn.modules.linear.Linear</c>.</summary>
    public string PythonClass { get; internal set; } = "";
    /// <summary>The <c>training</c> flag the module was saved with.</summary>
    public bool Training { get; internal set; }
    /// <summary>Names of the registered parameters (entries that are <c>None</c> are left out), in order.</summary>
    public IReadOnlyList<string> Parameters { get; internal set; } = [];
    /// <summary>Names of the registered buffers (entries that are <c>None</c> are left out), in order.</summary>
    public IReadOnlyList<string> Buffers { get; internal set; } = [];
    /// <summary>The child modules by name, in registration order (a <c>None</c> child is left out).</summary>
    public IReadOnlyList<KeyValuePair<string, ModuleSpec>> Children { get; internal set; } = [];
    /// <summary>The pickled object this description was read from.</summary>
    public PyObject Source { get; internal set; } = null!;

    /// <summary>The child named <paramref name="name"/>, or <see langword="null"/>.</summary>
    public ModuleSpec? Child(string name)
    {
        foreach (var kv in Children) if (kv.Key == name) return kv.Value;
        return null;
    }

    /// <summary>The child named <paramref name="name"/>; throws when it is missing or not a <typeparamref name="T"/>.</summary>
    /// <exception cref="PtFormatException">There is no such child, or it has another type.</exception>
    public T Child<T>(string name) where T : ModuleSpec =>
        Child(name) as T ?? throw new PtFormatException(PtErrorKind.Unsupported,
            $"{PythonClass} has no child module '{name}' of type {typeof(T).Name}");

    /// <summary>Short class name, e.g. <c>Linear</c>.</summary>
    public string ClassName => PythonClass[(PythonClass.LastIndexOf('.') + 1)..];

    /// <inheritdoc/>
    public override string ToString() => ClassName;
}

/// <summary>A container whose forward runs its children one after another (<c>nn.Sequential</c> and subclasses
/// such as torchvision's <c>Conv2dNormActivation</c>).</summary>
public sealed class SequentialSpec : ModuleSpec { }

/// <summary><c>nn.ModuleList</c>: children named <c>0</c>, <c>1</c>, ...; it has no forward of its own.</summary>
public sealed class ModuleListSpec : ModuleSpec { }

/// <summary><c>nn.ModuleDict</c>: named children; it has no forward of its own.</summary>
public sealed class ModuleDictSpec : ModuleSpec { }

/// <summary><c>nn.Identity</c>.</summary>
public sealed class IdentitySpec : ModuleSpec { }

/// <summary><c>nn.Flatten</c>.</summary>
public sealed class FlattenSpec : ModuleSpec
{
    /// <summary><c>start_dim</c>.</summary>
    public long StartDim { get; internal set; }
    /// <summary><c>end_dim</c>.</summary>
    public long EndDim { get; internal set; }
}
