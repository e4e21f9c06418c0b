using PtSharp.Sharding;
using PtSharp.Tensors;

namespace PtSharp;

public sealed partial class Checkpoint
{
    private void OpenSharded(CheckpointOptions options)
    {
        RequireNoKey(options, "it does not apply to a sharded checkpoint");
        var sharded = ShardedCheckpoint.Open(Path, options.PtOptions, options.SafetensorsOptions, _owned);
        Index = sharded.Index;
        Format = sharded.IsSafetensors ? CheckpointFormat.ShardedSafetensors : CheckpointFormat.ShardedPt;
        Files = sharded.Files;
        StateDict = new StateDict(sharded.Tensors);
        _tensors = StateDict;
        Root = AsTree(StateDict);
        Aliases = sharded.Aliases;
        Notes = sharded.Notes;
    }
}
