using PtSharp.Conversion;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Transforms;
using PtSharp.Writing;

namespace PtSharp.Tests.Tensors;

/// <summary>
/// A tensor outliving its file: every data accessor throws <see cref="ObjectDisposedException"/> instead of
/// reading unmapped memory (which would kill the process with an AccessViolationException no catch can stop).
/// </summary>
public sealed class UseAfterDisposeTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-uad-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "torch-1.13", name);

    /// <summary>The pattern that used to crash a host: a helper opens with <c>using</c> and returns a tensor.</summary>
    private static PtTensor WeightOf(string path)
    {
        using var file = PtFile.Open(path);
        return file.StateDict["fc1.weight"];
    }

    private static PtTensor FromCheckpoint(string path)
    {
        using var checkpoint = Checkpoint.Open(path);
        return checkpoint.StateDict[0].Tensor;
    }

    public static TheoryData<string> Accessors => new()
    {
        "AsSpan", "AsTensorSpan", "ToArray", "ToFloatArray", "ToDoubleArray", "Reinterpret", "AsBytes",
        "Storage.Bytes", "TensorStatistics.Compute", "TensorStatistics.TryCompute", "DTypeCast.Cast",
        "PtWriter.Save", "SafetensorsWriter.Save",
    };

    private void Read(PtTensor t, string accessor)
    {
        string output = Path.Combine(_dir.FullName, "out");
        switch (accessor)
        {
            case "AsSpan": _ = t.AsSpan<float>().Length; break;
            case "AsTensorSpan": _ = t.AsTensorSpan<float>().FlattenedLength; break;
            case "ToArray": _ = t.ToArray<float>(); break;
            case "ToFloatArray": _ = t.ToFloatArray(); break;
            case "ToDoubleArray": _ = t.ToDoubleArray(); break;
            case "Reinterpret": _ = t.Reinterpret<int>().Length; break;
            case "AsBytes": _ = t.AsBytes().Length; break;
            case "Storage.Bytes": _ = t.Storage!.Bytes.Length; break;
            case "TensorStatistics.Compute": _ = TensorStatistics.Compute(t); break;
            case "TensorStatistics.TryCompute": _ = TensorStatistics.TryCompute(t); break;
            case "DTypeCast.Cast": _ = DTypeCast.Cast(t, DType.BFloat16); break;
            case "PtWriter.Save": PtWriter.SaveStateDict(output + ".pt", [new("w", t)]); break;
            case "SafetensorsWriter.Save": SafetensorsWriter.Save(output + ".safetensors", [new("w", t)]); break;
            default: throw new ArgumentException(accessor);
        }
    }

    [Theory]
    [MemberData(nameof(Accessors))]
    public void Every_accessor_of_a_tensor_returned_out_of_a_using_throws_object_disposed(string accessor)
    {
        var alive = PtFile.Open(Fixture("mlp_state_dict.pt"));
        var before = alive.StateDict["fc1.weight"];
        Read(before, accessor); // the same call works while the file is open
        alive.Dispose();
        foreach (var written in Directory.GetFiles(_dir.FullName)) File.Delete(written);

        var t = WeightOf(Fixture("mlp_state_dict.pt"));
        Assert.True(t.Storage!.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => Read(t, accessor));
        Assert.Throws<ObjectDisposedException>(() => Read(before, accessor));
        Assert.Empty(Directory.GetFiles(_dir.FullName)); // writers leave no temp file behind
    }

    [Theory]
    [MemberData(nameof(Accessors))]
    public void Checkpoint_and_safetensors_tensors_throw_too(string accessor)
    {
        var t = FromCheckpoint(Fixture("mlp_state_dict.pt"));
        Assert.Throws<ObjectDisposedException>(() => Read(t, accessor));

        string st = Path.Combine(_dir.FullName, "model.safetensors");
        using (var file = PtFile.Open(Fixture("mlp_state_dict.pt"))) CheckpointWriter.Save(st, file.StateDict);
        PtTensor fromSafetensors;
        using (var file = SafetensorsFile.Open(st)) fromSafetensors = file["fc1.weight"];
        using (var checkpoint = Checkpoint.Open(st)) Read(checkpoint.StateDict["fc1.weight"], accessor);
        File.Delete(st);
        foreach (var leftover in Directory.GetFiles(_dir.FullName)) File.Delete(leftover);
        Assert.Throws<ObjectDisposedException>(() => Read(fromSafetensors, accessor));
    }

    [Fact]
    public void Compressed_records_and_big_endian_copies_are_revoked_as_well()
    {
        // Deflated records are inflated into managed memory and big-endian data is swapped into a copy: reading
        // them after dispose would not crash, but a disposed file's tensors fail the same way whatever their bytes.
        foreach (var name in new[] { "deflated_all.pt", "big_endian.pt" })
        {
            PtTensor t;
            using (var file = PtFile.Open(Path.Combine(RepoPaths.Fixtures, "handbuilt", name)))
            {
                t = file.Tensors.First(x => x.Tensor.Storage is { HasData: true } && x.Tensor.ElementCount > 0).Tensor;
                _ = t.ToDoubleArray(); // big-endian: the swapped copy exists before dispose
            }
            Assert.Throws<ObjectDisposedException>(() => t.ToDoubleArray());
            Assert.Throws<ObjectDisposedException>(() => t.Storage!.Bytes.Length);
        }
    }

    [Fact]
    public void File_members_that_read_the_mapping_throw_and_the_object_tree_stays()
    {
        var file = PtFile.Open(Fixture("mlp_state_dict.pt"));
        var storage = file.Storages[0];
        file.Dispose();
        file.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => file.ReadRecord("version"));
        Assert.Throws<ObjectDisposedException>(() => file.Entries);
        Assert.Throws<ObjectDisposedException>(() => file.RecordNames);
        Assert.Throws<ObjectDisposedException>(() => storage.Record);
        Assert.NotNull(file.Root); // inert managed values, not views
        Assert.Equal(4, file.StateDict.Count);
        Assert.Equal([16L, 8], file.StateDict["fc1.weight"].Shape);
    }

    [Fact]
    public void Tensors_built_in_memory_have_no_owner_to_outlive()
    {
        var t = PtTensor.FromArray(new float[] { 1, 2, 3 }, [3]);
        Assert.False(t.Storage!.IsDisposed);
        Assert.Equal([1f, 2, 3], t.ToFloatArray());
    }
}
