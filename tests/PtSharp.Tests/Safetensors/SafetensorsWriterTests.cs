using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PtSharp.Conversion;
using PtSharp.Diff;
using PtSharp.Errors;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Safetensors;

/// <summary>The safetensors writer: layout, alignment, aliases, views, unsupported tensors, atomic replacement.</summary>
public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-stw-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_dir.FullName, name);

    private static NamedTensor T(string name, PtTensor t) => new(name, t);

    private static JsonElement Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonDocument.Parse(bytes.AsMemory(8, (int)n)).RootElement;
    }

    [Fact]
    public void Every_safetensors_dtype_round_trips_with_its_bytes()
    {
        var tensors = new List<NamedTensor>
        {
            T("f64", PtTensor.FromArray(new[] { 1.5, -2.25, double.NaN }, [3])),
            T("f32", PtTensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3])),
            T("f16", PtTensor.FromArray(new[] { (Half)1.5, (Half)(-0.0) }, [2])),
            T("bf16", PtTensor.FromArray(new ushort[] { 0x3F80, 0xFFC0, 0x0001 }, [3], DType.BFloat16)),
            T("e4m3", PtTensor.FromArray(new byte[] { 0x38, 0x7F, 0x01 }, [3], DType.Float8E4M3FN)),
            T("e5m2", PtTensor.FromArray(new byte[] { 0x3C, 0x7C }, [2], DType.Float8E5M2)),
            T("e8m0", PtTensor.FromArray(new byte[] { 127 }, [1], DType.Float8E8M0FNU)),
            T("fp4", PtTensor.FromArray(new byte[] { 0x21, 0x43 }, [1, 2], DType.Float4E2M1FNx2)),
            T("i64", PtTensor.FromArray(new[] { long.MinValue, 7 }, [2])),
            T("u64", PtTensor.FromArray(new[] { ulong.MaxValue }, [1])),
            T("i32", PtTensor.FromArray(new[] { -1, 2, 3 }, [3])),
            T("u32", PtTensor.FromArray(new[] { 4u }, [1])),
            T("i16", PtTensor.FromArray(new short[] { -5 }, [1])),
            T("u16", PtTensor.FromArray(new ushort[] { 65535 }, [1])),
            T("i8", PtTensor.FromArray(new sbyte[] { -128, 127, 0 }, [3])),
            T("u8", PtTensor.FromArray(new byte[] { 255 }, [1])),
            T("bool", PtTensor.FromArray(new[] { true, false, true }, [3])),
            T("c64", PtTensor.FromArray(System.Runtime.InteropServices.MemoryMarshal.Cast<float, long>(new[] { 1f, -1f, 2f, 0.5f }).ToArray(), [2], DType.Complex64)),
            T("scalar", PtTensor.Scalar(3.25f)),
            T("empty", PtTensor.FromArray(Array.Empty<float>(), [0, 4])),
        };
        var path = Out("all.safetensors");
        var result = SafetensorsWriter.Save(path, tensors);
        Assert.True(result.Verified);
        Assert.Equal(new FileInfo(path).Length, result.FileLength);
        using var st = SafetensorsFile.Open(path);
        Assert.True(st.IsAligned);
        Assert.Equal(0, st.HeaderLength % 8);
        Assert.Equal(tensors.Select(t => t.Name), st.Entries.Select(e => e.Name)); // header keeps the given order
        Assert.Equal("F4", st.Entries.Single(e => e.Name == "fp4").DType.Name());
        Assert.Equal([1L, 4], st.Entries.Single(e => e.Name == "fp4").Shape);
        var diff = CheckpointDiff.Compare(tensors, st.Tensors);
        Assert.True(diff.Equal, string.Join("; ", diff.Tensors.Where(t => !t.Equal).Select(t => t.Name)));
        Assert.Equal("pt", st.Metadata["format"]);
    }

    [Fact]
    public void Data_is_ordered_by_element_size_so_every_tensor_is_aligned()
    {
        var tensors = new List<NamedTensor>
        {
            T("b", PtTensor.FromArray(new byte[] { 1, 2, 3 }, [3])),
            T("h", PtTensor.FromArray(new Half[] { (Half)1 }, [1])),
            T("d", PtTensor.FromArray(new[] { 1.0 }, [1])),
            T("f", PtTensor.FromArray(new[] { 1f }, [1])),
        };
        var path = Out("aligned.safetensors");
        SafetensorsWriter.Save(path, tensors);
        using var st = SafetensorsFile.Open(path);
        Assert.Equal(["d", "f", "h", "b"], st.Entries.OrderBy(e => e.Begin).Select(e => e.Name));
        Assert.True(st.IsAligned);
    }

    [Fact]
    public void Tied_tensors_are_written_once_and_recorded_as_aliases()
    {
        var embed = PtTensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [3, 2]);
        var tensors = new List<NamedTensor> { T("model.embed.weight", embed), T("model.fc.bias", PtTensor.FromArray(new[] { 0.5f }, [1])), T("lm_head.weight", embed.Detach()) };
        var path = Out("tied.safetensors");
        var result = SafetensorsWriter.Save(path, tensors);
        // Hugging Face's rule: keep the first name in sorted order.
        Assert.Equal("lm_head.weight", Assert.Single(result.Written, n => n.Contains("weight")));
        Assert.Equal("lm_head.weight", result.Aliases["model.embed.weight"]);
        var header = Header(path);
        Assert.Equal("lm_head.weight", header.GetProperty("__metadata__").GetProperty("model.embed.weight").GetString());
        Assert.False(header.TryGetProperty("model.embed.weight", out _));
        using var st = SafetensorsFile.Open(path);
        Assert.Equal(2, st.Entries.Count);
        Assert.Equal(24, st.Entries.Sum(e => e.ByteLength) - 4);
        var sd = st.StateDict.ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Same(sd["model.embed.weight"], sd["lm_head.weight"]);
    }

    [Fact]
    public void Different_views_of_one_storage_are_each_written_as_their_own_bytes()
    {
        var base12 = PtTensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [3, 4]);
        var tensors = new List<NamedTensor>
        {
            T("a", base12),
            T("a_tail", base12.View([2, 4], [4, 1], 4)),        // offset 4: part of the storage
            T("a_t", base12.View([4, 3], [1, 4], 0)),           // transposed: covers it all, different view
            T("a_col", base12.View([3], [4], 1)),               // strided column
            T("expand", PtTensor.FromArray(new[] { 1f, 2, 3 }, [3]).View([2, 3], [0, 1], 0)),
        };
        var path = Out("views.safetensors");
        var result = SafetensorsWriter.Save(path, tensors);
        Assert.Empty(result.Aliases);
        using var st = SafetensorsFile.Open(path);
        Assert.Equal([4f, 5, 6, 7, 8, 9, 10, 11], st["a_tail"].ToArray<float>());
        Assert.Equal(32, st.Entries.Single(e => e.Name == "a_tail").ByteLength);
        Assert.Equal([0f, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], st["a_t"].ToArray<float>());
        Assert.Equal([1f, 5, 9], st["a_col"].ToArray<float>());
        Assert.Equal([1f, 2, 3, 1, 2, 3], st["expand"].ToArray<float>());
        Assert.All(st.Tensors, t => Assert.True(t.Tensor.IsContiguous));
    }

    [Theory]
    [InlineData("complex128")]
    [InlineData("meta")]
    [InlineData("qint8")]
    public void Tensors_safetensors_cannot_hold_are_refused_and_nothing_is_replaced(string what)
    {
        PtTensor bad = what switch
        {
            "complex128" => PtTensor.FromArray(new[] { new System.Numerics.Complex(1, 2) }, [1]),
            "qint8" => PtTensor.FromArray(new sbyte[] { 1 }, [1], DType.QInt8),
            _ => MakeMeta(),
        };
        var path = Out("refused.safetensors");
        File.WriteAllText(path, "previous");
        var e = Assert.Throws<PtWriteException>(() => SafetensorsWriter.Save(path, [T("ok", PtTensor.Scalar(1f)), T("bad", bad)]));
        Assert.Contains("'bad'", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir.FullName));
    }

    private static PtTensor MakeMeta()
    {
        var storage = new PtStorage("m", DType.Float32, 4, "meta", null, null, 0, bigEndian: false);
        var m = PtTensor.FromStorage(storage, DType.Float32, [1], [1], 0);
        m.Device = "meta";
        return m;
    }

    [Fact]
    public void Two_tensors_with_one_name_are_refused() =>
        Assert.Throws<PtWriteException>(() => SafetensorsWriter.Save(Out("dup.safetensors"), [T("a", PtTensor.Scalar(1f)), T("a", PtTensor.Scalar(2f))]));

    [Fact]
    public void User_metadata_is_written_in_order_and_aliases_may_not_clash_with_it()
    {
        var path = Out("meta.safetensors");
        SafetensorsWriter.Save(path, [T("w", PtTensor.Scalar(1f))], new SafetensorsSaveOptions { Metadata = [new("format", "mlx"), new("author", "me")] });
        using (var st = SafetensorsFile.Open(path)) Assert.Equal(["format", "author"], st.Metadata.Keys);
        var t = PtTensor.Scalar(1f);
        Assert.Throws<PtWriteException>(() => SafetensorsWriter.Save(Out("clash.safetensors"), [T("a", t), T("b", t)], new SafetensorsSaveOptions { Metadata = [new("b", "something else")] }));
    }

    [Fact]
    public void Writing_to_a_stream_gives_the_same_bytes_as_a_file()
    {
        var tensors = new List<NamedTensor> { T("x", PtTensor.FromArray(new[] { 1f, 2 }, [2])), T("y", PtTensor.FromArray(new long[] { 3 }, [1])) };
        var path = Out("s.safetensors");
        SafetensorsWriter.Save(path, tensors);
        using var ms = new MemoryStream();
        SafetensorsWriter.Save(ms, tensors);
        Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
    }

    [Fact]
    public void Replacing_a_file_leaves_no_temporary_files()
    {
        var path = Out("r.safetensors");
        File.WriteAllText(path, "old");
        SafetensorsWriter.Save(path, [T("x", PtTensor.Scalar(1f))]);
        Assert.Equal(["r.safetensors"], Directory.GetFiles(_dir.FullName).Select(Path.GetFileName));
        using var st = SafetensorsFile.Open(path);
        Assert.Single(st.Entries);
    }

    [Fact]
    public void Saving_through_a_symbolic_link_replaces_its_target_and_keeps_permissions()
    {
        if (OperatingSystem.IsWindows()) return;
        var target = Out("real.safetensors");
        File.WriteAllText(target, "old");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var link = Out("link.safetensors");
        File.CreateSymbolicLink(link, target);
        SafetensorsWriter.Save(link, [T("x", PtTensor.Scalar(1f))]);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        using (var st = SafetensorsFile.Open(target)) Assert.Single(st.Entries);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(target));
    }

    [Fact]
    public void A_missing_target_folder_fails_with_io_and_leaves_nothing() =>
        Assert.ThrowsAny<IOException>(() => SafetensorsWriter.Save(Path.Combine(_dir.FullName, "nope", "x.safetensors"), [T("x", PtTensor.Scalar(1f))]));

    [Fact]
    public void Names_with_any_characters_survive()
    {
        string name = "blocks.0.\"quoted\"\\back/slash.ünïcødé.\u0001";
        var path = Out("names.safetensors");
        SafetensorsWriter.Save(path, [T(name, PtTensor.Scalar(2f))]);
        using var st = SafetensorsFile.Open(path);
        Assert.Equal(name, st.Entries[0].Name);
        Assert.Contains("ünïcødé", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    /// <summary>Golden: real torch files with tied weights, views with offsets, neg/conj bits, every dtype.</summary>
    [Theory]
    [InlineData("torch-2.6/views.pt", new string[0])]
    [InlineData("torch-1.13/views.pt", new string[0])]
    [InlineData("torch-2.6/conj_neg.pt", new[] { "conj128" })]
    [InlineData("torch-2.6/dtypes.pt", new[] { "complex128" })]
    [InlineData("torch-2.6/dtypes_new.pt", new string[0])]
    [InlineData("torch-1.13/cnn_bn_state_dict.pt", new string[0])]
    [InlineData("torch-2.6/legacy_views.pt", new string[0])]
    public void Golden_fixtures_convert_to_safetensors_with_equal_values(string fixture, string[] exclude)
    {
        using var source = StateDictSource.Open(Path.Combine(RepoPaths.Fixtures, fixture));
        var tensors = source.Tensors.Where(t => !exclude.Contains(t.Name)).ToList();
        var unsupported = tensors.Where(t => !SafetensorsDTypes.TryFromTorch(t.Tensor.DType, out _)).Select(t => t.Name).ToList();
        tensors = tensors.Where(t => !unsupported.Contains(t.Name)).ToList();
        var path = Out("golden.safetensors");
        var result = SafetensorsWriter.Save(path, tensors);
        using var back = StateDictSource.Open(path);
        var diff = CheckpointDiff.Compare(tensors, back.Tensors);
        Assert.True(diff.Equal, string.Join("; ", diff.Tensors.Where(t => !t.Equal).Select(t => $"{t.Name}: {t.Note} {t.MaxAbsDiff}").Concat(diff.OnlyInA).Concat(diff.OnlyInB)));
        if (fixture.EndsWith("/views.pt", StringComparison.Ordinal))
        {
            Assert.Equal("tied1", result.Aliases["tied2"]);
            var sd = back.Tensors.ToDictionary(t => t.Name, t => t.Tensor);
            Assert.Same(sd["tied1"], sd["tied2"]);
        }
    }
}
