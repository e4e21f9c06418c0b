using System.Collections;
using System.Diagnostics.CodeAnalysis;
using PtSharp.Pickle;

namespace PtSharp.Tensors;

/// <summary>
/// A state dict: named tensors in the file's order, like <c>model.state_dict()</c>. Enumerates as
/// <see cref="NamedTensor"/> (so <c>foreach (var (name, tensor) in stateDict)</c> works) and looks tensors up by
/// name. When a name occurs twice (possible only in hand-built files), lookups find the first.
/// </summary>
public sealed class StateDict : IReadOnlyList<NamedTensor>
{
    private readonly IReadOnlyList<NamedTensor> _items;
    private Dictionary<string, PtTensor>? _byName; // built on the first lookup: opening stays a list copy

    /// <summary>Wraps <paramref name="items"/> (not copied).</summary>
    /// <param name="items">The named tensors, in order.</param>
    /// <param name="metadata">The <c>_metadata</c> torch attaches to a state dict, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is <see langword="null"/>.</exception>
    public StateDict(IReadOnlyList<NamedTensor> items, PyDict? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items;
        Metadata = metadata;
    }

    /// <summary>
    /// The <c>_metadata</c> torch attaches to a state dict: an ordered dict of module prefix (<c>""</c> for the
    /// root, <c>"conv1"</c>...) to a dict holding the module's <c>version</c>, which <c>load_state_dict</c> passes
    /// to each module (BatchNorm loads older versions differently). A saved state dict's own; for a pickled or
    /// TorchScript module the one <c>module.state_dict()</c> gives; <see langword="null"/> when there is none.
    /// <see cref="Writing.PtWriter.SaveStateDict(string, IEnumerable{NamedTensor}, Writing.PtSaveOptions?)"/>
    /// writes it.
    /// </summary>
    public PyDict? Metadata { get; }

    /// <summary>An empty state dict.</summary>
    public static StateDict Empty { get; } = new([]);

    /// <summary>The number of tensors.</summary>
    public int Count => _items.Count;

    /// <summary>The tensor at position <paramref name="index"/> with its name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public NamedTensor this[int index] => _items[index];

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public PtTensor this[string name] =>
        TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"the state dict has no tensor '{name}'");

    /// <summary>The names, in order.</summary>
    public IEnumerable<string> Keys => _items.Select(t => t.Name);

    /// <summary>The tensors, in order.</summary>
    public IEnumerable<PtTensor> Values => _items.Select(t => t.Tensor);

    /// <summary>Whether a tensor is named <paramref name="name"/>.</summary>
    public bool ContainsKey(string name) => TryGetValue(name, out _);

    /// <summary>Finds the tensor named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    public bool TryGetValue(string name, [MaybeNullWhen(false)] out PtTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return (_byName ??= Index()).TryGetValue(name, out tensor);
    }

    /// <summary>Enumerates the named tensors in order.</summary>
    public IEnumerator<NamedTensor> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() => $"state dict ({Count} tensor{(Count == 1 ? "" : "s")})";

    private Dictionary<string, PtTensor> Index()
    {
        var d = new Dictionary<string, PtTensor>(_items.Count, StringComparer.Ordinal);
        foreach (var (name, tensor) in _items) d.TryAdd(name, tensor);
        return d;
    }
}
