using PtSharp.Conversion;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests;

/// <summary><see cref="Checkpoint.Open"/>: one entry point and one view for every checkpoint format PtSharp reads.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-checkpoint-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Torch113(string name) => Path.Combine(RepoPaths.Fixtures, "torch-1.13", name);

    private static string Handbuilt(string name) => Path.Combine(RepoPaths.Fixtures, "handbuilt", name);

    [Theory]
    [InlineData("torch-1.13/mlp_state_dict.pt", "zip", PtKind.StateDict)]
    [InlineData("torch-1.13/legacy_state_dict.pt", "legacy", PtKind.StateDict)]
    [InlineData("handbuilt/legacy_tar.pt", "legacy-tar", PtKind.StateDict)]
    [InlineData("torch-1.13/torchscript_traced.pt", "torchscript", PtKind.TorchScript)]
    [InlineData("torch-2.6/checkpoint_adam.pt", "zip", PtKind.Checkpoint)]
    [InlineData("torch-1.13/full_model_user.pt", "zip", PtKind.Module)]
    public void Every_pt_kind_opens_with_the_same_view_PtFile_gives(string fixture, string container, PtKind kind)
    {
        string path = Path.Combine(RepoPaths.Fixtures, fixture);
        using var checkpoint = Checkpoint.Open(path);
        using var file = PtFile.Open(path);
        Assert.Equal(CheckpointFormat.Pt, checkpoint.Format);
        Assert.Equal(container, checkpoint.PtFile!.Format.Name());
        Assert.Equal(kind, checkpoint.Kind);
        Assert.Equal(file.Kind, checkpoint.Kind);
        Assert.Equal([path], checkpoint.Files);
        Assert.Equal(file.StateDict.Select(t => t.Name), checkpoint.StateDict.Keys);
        Assert.Equal(file.Tensors.Select(t => t.Name), checkpoint.Tensors.Select(t => t.Name));
        Assert.Same(checkpoint.PtFile.Root, checkpoint.Root);
        Assert.All(checkpoint.StateDict, t => Assert.False(t.Tensor.IsParameter || t.Tensor.RequiresGrad));
        Assert.True(checkpoint.StateDict.Count > 0);
        foreach (var (name, tensor) in checkpoint.StateDict)
        {
            Assert.True(checkpoint.StateDict.ContainsKey(name));
            Assert.Same(checkpoint.StateDict[name].Storage, tensor.Storage);
        }
    }

    [Fact]
    public void Safetensors_index_and_shard_folder_open_as_state_dicts_with_their_files()
    {
        using var source = PtFile.Open(Torch113("mlp_state_dict.pt"));
        var tensors = source.StateDict;
        string single = Path.Combine(_dir.FullName, "model.safetensors");
        CheckpointWriter.Save(single, tensors);
        string shardFolder = Path.Combine(_dir.FullName, "sharded");
        Directory.CreateDirectory(shardFolder);
        CheckpointWriter.Save(Path.Combine(shardFolder, "model.safetensors"), tensors, new CheckpointSaveOptions { MaxShardSize = 300 });
        string index = Path.Combine(shardFolder, "model.safetensors.index.json");

        using var st = Checkpoint.Open(single);
        Assert.Equal(CheckpointFormat.Safetensors, st.Format);
        Assert.Equal(PtKind.StateDict, st.Kind);
        Assert.NotNull(st.SafetensorsFile);
        Assert.Null(st.PtFile);
        Assert.Equal([single], st.Files);
        Assert.Equal(tensors.Keys, st.StateDict.Keys);
        var root = Assert.IsType<PyDict>(st.Root);
        Assert.Equal(tensors.Keys, root.Keys.Cast<string>());
        Assert.Equal(tensors["fc1.weight"].ToFloatArray(), st.StateDict["fc1.weight"].ToFloatArray());

        foreach (var path in new[] { index, shardFolder })
        {
            using var sharded = Checkpoint.Open(path);
            Assert.Equal(CheckpointFormat.ShardedSafetensors, sharded.Format);
            Assert.Equal(index, sharded.Path);
            Assert.NotNull(sharded.Index);
            Assert.True(sharded.Files.Count >= 3, string.Join(", ", sharded.Files)); // the index and >= 2 shards
            Assert.Equal(index, sharded.Files[0]);
            Assert.Equal(tensors.Keys.Order(), sharded.StateDict.Keys.Order());
            foreach (var (name, t) in tensors) Assert.Equal(t.ToFloatArray(), sharded.StateDict[name].ToFloatArray());
        }
    }

    [Fact]
    public void State_dict_key_selects_an_entry_and_is_refused_for_other_formats()
    {
        using var checkpoint = Checkpoint.Open(Torch113("checkpoint_adam.pt"),
            new CheckpointOptions { StateDictKey = "optimizer_state_dict.state.0" });
        Assert.Equal(["step", "exp_avg", "exp_avg_sq"], checkpoint.StateDict.Keys);
        Assert.Throws<KeyNotFoundException>(() => Checkpoint.Open(Torch113("checkpoint_adam.pt"),
            new CheckpointOptions { StateDictKey = "no_such_entry" }));

        string st = Path.Combine(_dir.FullName, "one.safetensors");
        CheckpointWriter.Save(st, [new("a", PtTensor.FromArray(new float[] { 1, 2 }, [2]))]);
        Assert.Throws<ArgumentException>(() => Checkpoint.Open(st, new CheckpointOptions { StateDictKey = "a" }));
    }

    [Fact]
    public void State_dict_lookups_by_name_and_position()
    {
        using var checkpoint = Checkpoint.Open(Torch113("cnn_bn_state_dict.pt"));
        var sd = checkpoint.StateDict;
        Assert.Equal("conv.weight", sd[0].Name);
        Assert.Equal([4L, 3, 3, 3], sd["conv.weight"].Shape);
        Assert.True(sd.TryGetValue("bn.running_var", out var v));
        Assert.Equal([4L], v.Shape);
        Assert.False(sd.TryGetValue("bn.nothing", out _));
        Assert.False(sd.ContainsKey("bn.nothing"));
        var e = Assert.Throws<KeyNotFoundException>(() => sd["bn.nothing"]);
        Assert.Contains("bn.nothing", e.Message, StringComparison.Ordinal);
        Assert.Equal(9, sd.Count);
        Assert.Equal("state dict (9 tensors)", sd.ToString());
    }

    // Expected numbers from torch 1.13 on the fixtures: sum(p.numel() for p in model.parameters()) (ties once),
    // and the state dict's buffers; for state dicts, which record neither, the standard buffer names.
    [Fact]
    public void Parameter_count_counts_ties_once_and_separates_buffers_and_other_tensors()
    {
        using (var module = Checkpoint.Open(Torch113("full_model_user.pt")))
        {
            var c = module.ParameterCount;
            Assert.Equal(112, c.Parameters); // torch: sum(p.numel() for p in m.parameters()) == 112, 8 tensors
            Assert.Equal(8, c.ParameterTensors);
            Assert.Equal(2, c.TiedNames); // dec.weight = enc.weight, body.1.1.weight = shared
            Assert.Equal(10, c.Buffers); // scale (3), bn.running_mean (3), bn.running_var (3), num_batches_tracked
            Assert.Equal(4, c.BufferTensors);
        }
        using (var bn = Checkpoint.Open(Torch113("cnn_bn_state_dict.pt")))
        {
            var c = bn.ParameterCount;
            Assert.Equal(135, c.Parameters);
            Assert.Equal(9, c.Buffers);
            Assert.Equal(3, c.BufferTensors);
            Assert.Equal(0, c.OtherTensors);
        }
        using (var adam = Checkpoint.Open(Torch113("checkpoint_adam.pt")))
        {
            var c = adam.ParameterCount;
            Assert.Equal(212, c.Parameters); // the model_state_dict entry: fc1 (16x8 + 16), fc2 (4x16 + 4)
            Assert.Equal(0, c.Buffers);
            // Adam state (4 steps + exp_avg and exp_avg_sq of each parameter), loss, the RNG state, nested values.
            Assert.Equal(4 + 2 * 212 + 1 + 5056 + 5, c.Other);
            Assert.Equal(16, c.OtherTensors);
            Assert.Equal(c.Parameters + c.Buffers + c.Other, c.Total);
        }
    }

    [Fact]
    public void Folder_without_a_checkpoint_and_missing_files_are_io_errors()
    {
        Assert.Throws<IOException>(() => Checkpoint.Open(_dir.FullName));
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Open(Path.Combine(_dir.FullName, "missing.pt")));
    }

    [Fact]
    public void To_string_names_format_kind_and_size()
    {
        using var checkpoint = Checkpoint.Open(Torch113("mlp_state_dict.pt"));
        Assert.Matches(@"^pt checkpoint '.*mlp_state_dict\.pt' \(state_dict, \d+ tensors\)$", checkpoint.ToString());
    }
}
