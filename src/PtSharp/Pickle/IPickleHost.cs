namespace PtSharp.Pickle;

/// <summary>
/// What the pickle machine asks its host to do for the opcodes with meaning beyond data (globals, calls,
/// persistent ids, BUILD). The host maps these to inert values; it never imports or executes anything.
/// </summary>
internal interface IPickleHost
{
    /// <summary>GLOBAL / STACK_GLOBAL / INST class lookup.</summary>
    object? Global(string module, string name, long offset);
    /// <summary>PERSID / BINPERSID.</summary>
    object? PersistentLoad(object? pid, long offset);
    /// <summary>REDUCE: <c>callable(*args)</c>.</summary>
    object? Reduce(object? callable, PyTuple args, long offset);
    /// <summary>NEWOBJ / NEWOBJ_EX / INST / OBJ.</summary>
    object? NewObject(object? cls, PyTuple args, PyDict? kwargs, PyConstruction how, long offset);
    /// <summary>BUILD: give <paramref name="target"/> its state.</summary>
    void Build(object? target, object? state, long offset);
    /// <summary>BINPERSID of a tuple nothing else can observe, given as its items (the machine did not build the tuple).</summary>
    object? PersistentLoadItems(ReadOnlySpan<object?> pid, long offset) => PersistentLoad(new PyTuple(pid.ToArray()), offset);
    /// <summary>REDUCE with an argument tuple nothing else can observe, given as its items.</summary>
    object? ReduceItems(object? callable, ReadOnlySpan<object?> args, long offset) => Reduce(callable, new PyTuple(args.ToArray()), offset);
    /// <summary>Called once before the program runs, with the bytes it may read (bounds the host's own work).</summary>
    void Begin(long inputLength) { }
}
