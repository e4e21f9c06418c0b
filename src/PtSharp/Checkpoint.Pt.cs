using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp;

public sealed partial class Checkpoint
{
    /// <summary>
    /// Values of a .pt file that are not part of the state dict, each with its dotted path and a short description
    /// (optimizer state, epoch counters, config objects...): what a safetensors file cannot hold. Empty for other
    /// formats and for TorchScript archives.
    /// </summary>
    public IReadOnlyList<OtherValue> OtherValues { get; private set; } = [];

    /// <summary>The object <see cref="StateDict"/> was read from: the root, or the entry the key names.</summary>
    internal object? StateDictValue { get; private set; }

    private void OpenPt(CheckpointOptions options)
    {
        Files = [Path];
        var file = Loading.PtFile.Open(Path, options.PtOptions);
        _owned.Add(file);
        PtFile = file;
        Kind = file.Kind;
        Root = file.Root;
        _tensors = file.Tensors;
        var notes = new List<string>();
        object? value = file.Root;
        string? key = options.StateDictKey;
        if (key is not null && !file.TryGetPath(key, out value))
            throw new KeyNotFoundException($"{Path} has no entry '{key}'" + (file.Root is PyDict d
                ? $" (top-level keys: {string.Join(", ", d.Keys.Take(12).Select(k => k?.ToString() ?? "None"))})"
                : ""));
        StateDictValue = value;
        var tensors = key is null ? file.StateDict : file.StateDictOf(value);
        if (file.Format == PtFormat.TorchScript) notes.Add("a TorchScript archive is read as its module's state dict");
        _countedStateDict = tensors;
        StateDict = new StateDict(tensors.Select(t => new NamedTensor(t.Name, t.Tensor.Detach())).ToList(), tensors.Metadata);
        if (file.Format != PtFormat.TorchScript)
        {
            var stateTensors = new HashSet<PtTensor>(tensors.Select(t => t.Tensor), ReferenceEqualityComparer.Instance);
            OtherValues = OtherValueFinder.Find(value, stateTensors, file.Walk());
            if (key is null && file.Kind == PtKind.Checkpoint && file.Root is PyDict root)
            {
                var holds = file.Walk();
                var holder = root.FirstOrDefault(kv => OtherValueFinder.Holds(kv.Value, stateTensors, 0, holds));
                if (holder.Key is not null && StateDict.Count > 0) notes.Add($"the checkpoint's state dict is its '{holder.Key}' entry");
            }
        }
        Notes = notes;
    }
}
