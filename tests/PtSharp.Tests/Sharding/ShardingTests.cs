using System.Text.Json;
using PtSharp.Conversion;
using PtSharp.Diff;
using PtSharp.Errors;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;

namespace PtSharp.Tests.Sharding;

/// <summary>Sharded checkpoints: the split rule, names, index JSON, reading shards back as one state dict.</summary>
public sealed class ShardingTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-shard-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Three 4000-byte tensors, small ones, a tied pair, and views of one storage: 3 shards at 5000 bytes.</summary>
    internal static List<NamedTensor> Model()
    {
        var embed = PtTensor.FromArray(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray(), [100, 10]);
        var base24 = PtTensor.FromArray(Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray(), [6, 4]);
        return
        [
            new("embed.weight", embed),
            new("layers.0.weight", PtTensor.FromArray(Enumerable.Range(0, 1000).Select(i => -(float)i).ToArray(), [1000])),
            new("layers.0.bias", PtTensor.FromArray(new ushort[] { 0x3F80, 0x4000 }, [2], DType.BFloat16)),
            new("view.rows", base24.View([3, 4], [4, 1], 8)),
            new("view.t", base24.View([4, 6], [1, 4], 0)),
            new("layers.1.weight", PtTensor.FromArray(Enumerable.Range(0, 1000).Select(i => i * 2f).ToArray(), [10, 100])),
            new("scalar", PtTensor.Scalar(2.5)),
            new("zero", PtTensor.FromArray(Array.Empty<float>(), [0, 3])),
            new("lm_head.weight", embed.Detach()),
        ];
    }

    [Fact]
    public void Plan_follows_the_hub_rule_and_keeps_shared_storages_together()
    {
        var tensors = Model();
        var shards = CheckpointWriter.Plan(tensors, 5000, CheckpointFormat.Safetensors);
        Assert.Equal(3, shards.Count);
        Assert.Contains(shards, s => s.Any(t => t.Name == "embed.weight") && s.Any(t => t.Name == "lm_head.weight"));
        Assert.Contains(shards, s => s.Any(t => t.Name == "view.rows") && s.Any(t => t.Name == "view.t"));
        Assert.Equal(tensors.Select(t => t.Name).Order(), shards.SelectMany(s => s).Select(t => t.Name).Order());
        // A tensor larger than the maximum gets a shard of its own (added at once; the current shard carries on).
        var big = CheckpointWriter.Plan([new("a", PtTensor.FromArray(new float[10], [10])), new("huge", PtTensor.FromArray(new float[100], [100])), new("b", PtTensor.FromArray(new float[10], [10]))], 100, CheckpointFormat.Safetensors);
        Assert.Equal([["huge"], ["a", "b"]], big.Select(s => s.Select(t => t.Name).ToArray()));
    }

    [Theory]
    [InlineData("model.safetensors", CheckpointFormat.ShardedSafetensors, "model-0000{0}-of-00003.safetensors", "model.safetensors.index.json")]
    [InlineData("pytorch_model.bin", CheckpointFormat.ShardedPt, "pytorch_model-0000{0}-of-00003.bin", "pytorch_model.bin.index.json")]
    public void Three_shards_and_an_index_read_back_as_one_state_dict(string name, CheckpointFormat format, string shardPattern, string indexName)
    {
        var tensors = Model();
        var result = CheckpointWriter.Save(Out(name), tensors, new CheckpointSaveOptions { MaxShardSize = 5000 });
        Assert.True(result.Verified);
        Assert.Equal(Out(indexName), result.IndexPath);
        Assert.Equal(Enumerable.Range(1, 3).Select(i => Out(string.Format(shardPattern, i))), result.Files);
        Assert.False(File.Exists(Out(name)));

        var index = JsonDocument.Parse(File.ReadAllText(Out(indexName))).RootElement;
        var weightMap = index.GetProperty("weight_map").EnumerateObject().ToList();
        Assert.Equal(weightMap.Select(p => p.Name).Order(StringComparer.Ordinal), weightMap.Select(p => p.Name));
        Assert.Equal(result.TotalSize, index.GetProperty("metadata").GetProperty("total_size").GetInt64());
        if (format == CheckpointFormat.ShardedSafetensors)
        {
            Assert.DoesNotContain(weightMap, p => p.Name == "lm_head.weight"); // the alias is recorded in its shard's metadata
            Assert.Equal("embed.weight", result.Aliases["lm_head.weight"]);
        }

        using var back = StateDictSource.Open(Out(indexName));
        Assert.Equal(format, back.Format);
        Assert.Equal(4, back.Files.Count);
        var diff = CheckpointDiff.Compare(tensors, back.Tensors);
        Assert.True(diff.Equal, string.Join("; ", diff.OnlyInA.Concat(diff.OnlyInB).Concat(diff.Tensors.Where(t => !t.Equal).Select(t => t.Name))));
        var sd = back.Tensors.ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Same(sd["embed.weight"].Storage, sd["lm_head.weight"].Storage);

        // A folder holding the index opens the same way.
        using var folder = StateDictSource.Open(_dir.FullName);
        Assert.Equal(back.Tensors.Count, folder.Tensors.Count);
    }

    [Fact]
    public void A_state_dict_that_fits_in_one_shard_is_written_as_the_plain_file()
    {
        var result = CheckpointWriter.Save(Out("model.safetensors"), Model(), new CheckpointSaveOptions { MaxShardSize = 1L << 30 });
        Assert.Null(result.IndexPath);
        Assert.Equal([Out("model.safetensors")], result.Files);
        Assert.False(File.Exists(Out("model.safetensors.index.json")));
    }

    [Fact]
    public void Naming_the_index_forces_sharded_output()
    {
        var result = CheckpointWriter.Save(Out("model.safetensors.index.json"), Model());
        Assert.Equal(Out("model.safetensors.index.json"), result.IndexPath);
        Assert.Equal([Out("model-00001-of-00001.safetensors")], result.Files);
    }

    [Theory]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("10KiB", 10240L)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("12345", 12345L)]
    [InlineData(" 5 mb ", 5_000_000L)]
    public void Sizes_parse_like_the_hub(string text, long bytes) => Assert.Equal(bytes, CheckpointWriter.ParseSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("GB")]
    [InlineData("2XB")]
    [InlineData("0")]
    public void Bad_sizes_are_rejected(string text) => Assert.Throws<FormatException>(() => CheckpointWriter.ParseSize(text));

    private string WriteShardedSafetensors()
    {
        CheckpointWriter.Save(Out("model.safetensors"), Model(), new CheckpointSaveOptions { MaxShardSize = 5000 });
        return Out("model.safetensors.index.json");
    }

    private static void Rewrite(string index, Func<JsonElement, string> edit) => File.WriteAllText(index, edit(JsonDocument.Parse(File.ReadAllText(index)).RootElement));

    [Fact]
    public void A_key_the_index_lists_but_its_shard_lacks_is_a_missing_record()
    {
        var index = WriteShardedSafetensors();
        Rewrite(index, root => root.GetRawText().Replace("\"weight_map\": {", "\"weight_map\": {\n    \"ghost\": \"model-00001-of-00003.safetensors\",", StringComparison.Ordinal));
        var e = Assert.Throws<PtFormatException>(() => StateDictSource.Open(index));
        Assert.Equal(PtErrorKind.MissingRecord, e.Kind);
        Assert.Contains("ghost", e.Message);
    }

    [Fact]
    public void A_missing_shard_file_is_a_missing_record()
    {
        var index = WriteShardedSafetensors();
        File.Delete(Out("model-00002-of-00003.safetensors"));
        Assert.Equal(PtErrorKind.MissingRecord, Assert.Throws<PtFormatException>(() => StateDictSource.Open(index)).Kind);
    }

    [Fact]
    public void A_key_mapped_to_the_wrong_shard_is_corrupt()
    {
        var index = WriteShardedSafetensors();
        var map = JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("weight_map");
        string shardOfScalar = map.GetProperty("scalar").GetString()!;
        string other = shardOfScalar.Contains("00001") ? "model-00002-of-00003.safetensors" : "model-00001-of-00003.safetensors";
        Rewrite(index, root => root.GetRawText().Replace($"\"scalar\": \"{shardOfScalar}\"", $"\"scalar\": \"{other}\"", StringComparison.Ordinal));
        Assert.Contains("maps 'scalar'", Assert.Throws<PtFormatException>(() => StateDictSource.Open(index)).Message);
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    public void Shard_names_must_stay_inside_the_folder(string shard)
    {
        var index = Out("x.safetensors.index.json");
        File.WriteAllText(index, $$$"""{"metadata":{"total_size":4},"weight_map":{"a":"{{{shard}}}"}}""");
        Assert.Contains("plain relative name", Assert.Throws<PtFormatException>(() => StateDictSource.Open(index)).Message);
    }

    [Fact]
    public void An_index_that_is_not_an_index_is_corrupt()
    {
        var index = Out("y.safetensors.index.json");
        File.WriteAllText(index, """{"metadata":{}}""");
        Assert.Equal(PtErrorKind.CorruptContainer, Assert.Throws<PtFormatException>(() => StateDictSource.Open(index)).Kind);
        File.WriteAllText(index, "not json");
        Assert.Equal(PtErrorKind.CorruptContainer, Assert.Throws<PtFormatException>(() => StateDictSource.Open(index)).Kind);
    }

    [Fact]
    public void Each_shard_is_mapped_once()
    {
        var index = WriteShardedSafetensors();
        using var source = StateDictSource.Open(index);
        var storages = source.Tensors.Select(t => t.Tensor.Storage).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(source.Tensors.Count - 1, storages); // the alias shares its storage
        Assert.Equal(3, source.Files.Count(f => f.EndsWith(".safetensors", StringComparison.Ordinal)));
    }

    [Fact]
    public void Converting_between_sharded_formats_keeps_every_value()
    {
        var tensors = Model();
        CheckpointWriter.Save(Out("pytorch_model.bin"), tensors, new CheckpointSaveOptions { MaxShardSize = 5000 });
        var report = CheckpointConverter.Convert(Out("pytorch_model.bin.index.json"), Out("st/model.safetensors").Replace("st/", ""), new ConvertOptions { MaxShardSize = 6000 });
        Assert.NotNull(report.IndexPath);
        Assert.Equal(CheckpointFormat.ShardedPt, report.InputFormat);
        using var back = StateDictSource.Open(report.IndexPath!);
        Assert.True(CheckpointDiff.Compare(tensors, back.Tensors).Equal);
    }
}
