using PtSharp.Dcp;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp;

public sealed partial class Checkpoint
{
    /// <summary>The opened distributed checkpoint of a DCP folder, else <see langword="null"/>.</summary>
    public DcpCheckpoint? Dcp { get; private set; }

    /// <summary>
    /// A <c>torch.distributed.checkpoint</c> folder, seen as <c>dcp_to_torch_save</c> would write it: the root is the
    /// nested state that was saved, and as for a .pt checkpoint its model entry (<c>{'model': ..., 'optim': ...}</c>)
    /// is the state dict; without one, every tensor by its flattened DCP name is.
    /// </summary>
    private void OpenDcp(CheckpointOptions options)
    {
        RequireNoKey(options, "a distributed checkpoint's items are named by their flattened keys");
        var dcp = DcpCheckpoint.Open(Path, options.PtOptions);
        _owned.Add(dcp);
        Dcp = dcp;
        Files = [System.IO.Path.Combine(dcp.Folder, ".metadata"), .. dcp.DataFiles.Select(f => System.IO.Path.Combine(dcp.Folder, f))];
        var root = dcp.ToNestedStateDict();
        Root = root;
        Kind = KindClassifier.Classify(root);
        _tensors = dcp.Tensors;
        var notes = new List<string>();
        var model = Kind == PtKind.Checkpoint
            ? TensorNaming.ModelKeys.Select(k => (Key: k, Value: root.TryGetValue(k, out var v) ? v as PyDict : null))
                .FirstOrDefault(e => e.Value is not null && KindClassifier.IsStateDict(e.Value))
            : default;
        if (model.Value is not null)
        {
            StateDict = new StateDict(model.Value.Where(kv => kv.Value is PtTensor)
                .Select(kv => new NamedTensor((string)kv.Key!, (PtTensor)kv.Value!)).ToList());
            StateDictValue = model.Value;
            var stateTensors = new HashSet<PtTensor>(StateDict.Select(t => t.Tensor), ReferenceEqualityComparer.Instance);
            OtherValues = OtherValueFinder.Find(root, stateTensors);
            notes.Add($"the checkpoint's state dict is its '{model.Key}' entry");
        }
        else
        {
            StateDict = new StateDict(dcp.Tensors);
            StateDictValue = root;
            OtherValues = dcp.Values.Select(kv => new OtherValue(kv.Key, OtherValueFinder.Describe(kv.Value))).ToList();
        }
        if (dcp.AssembledTensorCount > 0)
            notes.Add($"{dcp.AssembledTensorCount} tensor{(dcp.AssembledTensorCount == 1 ? " is" : "s are")} assembled from chunks of several ranks");
        Notes = notes;
    }
}
