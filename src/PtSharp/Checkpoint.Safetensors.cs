using PtSharp.Safetensors;

namespace PtSharp;

public sealed partial class Checkpoint
{
    private void OpenSafetensors(CheckpointOptions options)
    {
        RequireNoKey(options, $"{Path} is a safetensors file");
        Files = [Path];
        var st = Safetensors.SafetensorsFile.Open(Path, options.SafetensorsOptions);
        _owned.Add(st);
        SafetensorsFile = st;
        st.RequireTorchDTypes();
        StateDict = st.StateDict;
        _tensors = st.StateDict;
        Root = AsTree(st.StateDict);
        Aliases = st.Aliases;
        Metadata = st.Metadata.Where(kv => !st.Aliases.ContainsKey(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }
}
