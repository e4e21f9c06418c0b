namespace PtSharp;

/// <summary>The kinds of checkpoint <c>StateDictSource</c> reads and <c>CheckpointWriter</c> writes.</summary>
public enum CheckpointFormat
{
    /// <summary>One PyTorch file (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>...), any format PtFile reads.</summary>
    Pt,
    /// <summary>One safetensors file.</summary>
    Safetensors,
    /// <summary>Hugging Face sharded PyTorch checkpoint: <c>pytorch_model.bin.index.json</c> and its shards.</summary>
    ShardedPt,
    /// <summary>Hugging Face sharded safetensors checkpoint: <c>model.safetensors.index.json</c> and its shards.</summary>
    ShardedSafetensors,
}

/// <summary>Names of <see cref="CheckpointFormat"/> values for messages and JSON.</summary>
public static class CheckpointFormatNames
{
    /// <summary><c>pt</c>, <c>safetensors</c>, <c>sharded-pt</c> or <c>sharded-safetensors</c>.</summary>
    public static string Name(this CheckpointFormat f) => f switch
    {
        CheckpointFormat.Pt => "pt",
        CheckpointFormat.Safetensors => "safetensors",
        CheckpointFormat.ShardedPt => "sharded-pt",
        _ => "sharded-safetensors",
    };

    /// <summary>True for the safetensors formats.</summary>
    public static bool IsSafetensors(this CheckpointFormat f) => f is CheckpointFormat.Safetensors or CheckpointFormat.ShardedSafetensors;

    /// <summary>The output format a path implies: safetensors for <c>.safetensors</c> and <c>.safetensors.index.json</c>, else pt.</summary>
    public static CheckpointFormat ForOutputPath(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase))
            return CheckpointFormat.Safetensors;
        return CheckpointFormat.Pt;
    }
}
