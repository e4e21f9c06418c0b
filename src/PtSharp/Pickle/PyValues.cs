using System.Collections;

namespace PtSharp.Pickle;

/// <summary>
/// A Python tuple. Immutable. <see cref="ClassName"/> is set for tuple subclasses PtSharp knows, such as
/// <c>torch.Size</c>.
/// </summary>
public sealed class PyTuple : IReadOnlyList<object?>
{
    /// <summary>The empty tuple.</summary>
    public static readonly PyTuple Empty = new([]);

    /// <summary>Creates a tuple over the given items (the array is taken, not copied).</summary>
    public PyTuple(object?[] items, string? className = null)
    {
        Items = items;
        ClassName = className;
    }

    /// <summary>The elements.</summary>
    public object?[] Items { get; }
    /// <summary>Python class of a tuple subclass (e.g. <c>torch.Size</c>), or <see langword="null"/> for a plain tuple.</summary>
    public string? ClassName { get; }
    /// <inheritdoc/>
    public int Count => Items.Length;
    /// <inheritdoc/>
    public object? this[int index] => Items[index];
    /// <inheritdoc/>
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)Items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => Items.GetEnumerator();
    /// <inheritdoc/>
    public override string ToString() => $"tuple[{Items.Length}]";
}

/// <summary>A Python list.</summary>
public sealed class PyList : List<object?>
{
    /// <summary>Creates an empty list.</summary>
    public PyList() { }
    /// <summary>Creates a list holding the given items.</summary>
    public PyList(IEnumerable<object?> items) : base(items) { }

    /// <inheritdoc/>
    public override string ToString() => $"list[{Count}]";
}

/// <summary>A Python <c>set</c> or <c>frozenset</c>; items keep the order in which the pickle listed them.</summary>
public sealed class PySet : List<object?>
{
    /// <summary>Creates an empty set.</summary>
    public PySet(bool frozen) { IsFrozen = frozen; }
    /// <summary>True for <c>frozenset</c>.</summary>
    public bool IsFrozen { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{(IsFrozen ? "frozenset" : "set")}[{Count}]";
}

/// <summary>A Python <c>bytearray</c>. (Python <c>bytes</c> values are plain <see cref="byte"/> arrays.)</summary>
public sealed record PyByteArray(byte[] Data);

/// <summary>
/// A reference to a Python global (<c>module.name</c>) that was not called: a dtype such as <c>torch.float32</c>,
/// a class passed as an argument, an enum-like constant. Nothing is imported or resolved.
/// </summary>
public sealed class PyGlobal : IEquatable<PyGlobal>
{
    /// <summary>Creates a reference to <paramref name="module"/>.<paramref name="name"/>.</summary>
    public PyGlobal(string module, string name)
    {
        Module = module;
        Name = name;
        FullName = module + "." + name;
    }

    /// <summary>Module path, e.g. <c>torch</c> or <c>collections</c>.</summary>
    public string Module { get; }
    /// <summary>Attribute name inside the module, e.g. <c>float32</c>.</summary>
    public string Name { get; }
    /// <summary><c>module.name</c>.</summary>
    public string FullName { get; }
    /// <inheritdoc/>
    public bool Equals(PyGlobal? other) => other is not null && other.Module == Module && other.Name == Name;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PyGlobal);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Module, Name);
    /// <inheritdoc/>
    public override string ToString() => FullName;
}

/// <summary>How the pickle asked for an opaque object to be made.</summary>
public enum PyConstruction
{
    /// <summary><c>REDUCE</c>: <c>callable(*args)</c>.</summary>
    Reduce,
    /// <summary><c>NEWOBJ</c>: <c>cls.__new__(cls, *args)</c>.</summary>
    NewObj,
    /// <summary><c>NEWOBJ_EX</c>: <c>cls.__new__(cls, *args, **kwargs)</c>.</summary>
    NewObjEx,
    /// <summary>Protocol 0/1 <c>INST</c> or <c>OBJ</c>.</summary>
    Instantiate,
}

/// <summary>
/// An object of a class PtSharp does not rebuild (a user's <c>nn.Module</c>, <c>argparse.Namespace</c>, a numpy
/// array, ...). It records everything the pickle said about it, so it can be inspected and written back, and
/// nothing was executed to make it.
/// </summary>
public sealed class PyObject
{
    internal PyObject(object? callable, PyTuple args, PyConstruction construction, PyDict? kwargs = null)
    {
        Callable = callable;
        Args = args;
        Construction = construction;
        Kwargs = kwargs;
    }

    /// <summary>What was called or instantiated: normally a <see cref="PyGlobal"/>.</summary>
    public object? Callable { get; }
    /// <summary>Positional arguments of the call.</summary>
    public PyTuple Args { get; }
    /// <summary>Keyword arguments (<c>NEWOBJ_EX</c> only).</summary>
    public PyDict? Kwargs { get; }
    /// <summary>How the object was constructed.</summary>
    public PyConstruction Construction { get; }
    /// <summary>The argument of <c>BUILD</c> (usually the instance <c>__dict__</c>), or <see langword="null"/>.</summary>
    public object? State { get; internal set; }
    /// <summary>Items appended by <c>APPEND</c>/<c>APPENDS</c> (list subclasses), or <see langword="null"/>.</summary>
    public PyList? ListItems { get; internal set; }
    /// <summary>Items set by <c>SETITEM</c>/<c>SETITEMS</c> (dict subclasses), or <see langword="null"/>.</summary>
    public PyDict? DictItems { get; internal set; }

    /// <summary>
    /// The class of the object: the callable itself, or for <c>copyreg._reconstructor</c> and
    /// <c>copyreg.__newobj__</c> the class passed as first argument.
    /// </summary>
    public PyGlobal? Class
    {
        get
        {
            if (Callable is PyGlobal g)
            {
                if (g.Module == "copyreg" && (g.Name == "_reconstructor" || g.Name == "__newobj__" || g.Name == "__newobj_ex__") && Args.Count > 0 && Args[0] is PyGlobal c)
                    return c;
                return g;
            }
            return null;
        }
    }

    /// <summary>Module of <see cref="Class"/>, or an empty string.</summary>
    public string Module => Class?.Module ?? "";
    /// <summary>Class name of <see cref="Class"/>, or an empty string.</summary>
    public string Name => Class?.Name ?? "";

    /// <summary>The instance attributes when <see cref="State"/> is a dict (or a <c>(dict, slots)</c> pair), else <see langword="null"/>.</summary>
    public PyDict? Attributes => State switch
    {
        PyDict d => d,
        PyTuple { Count: 2 } t when t[0] is PyDict d => d,
        PyTuple { Count: 2 } t when t[0] is null && t[1] is PyDict s => s,
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => $"<{Module}.{Name} object>";
}

/// <summary>A <c>torch.device</c>.</summary>
/// <param name="Type">Device type, e.g. <c>cpu</c>, <c>cuda</c>.</param>
/// <param name="Index">Device index, if given.</param>
public sealed record TorchDevice(string Type, long? Index)
{
    /// <inheritdoc/>
    public override string ToString() => Index is null ? Type : $"{Type}:{Index}";
}

/// <summary>A <c>torch.layout</c> such as <c>torch.sparse_coo</c> (made by <c>torch.serialization._get_layout</c>).</summary>
/// <param name="Name">Full name, e.g. <c>torch.sparse_coo</c>.</param>
public sealed record TorchLayout(string Name);
