using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Tensors;

using static PtSharp.Tests.Safetensors.SafetensorsBytes;

namespace PtSharp.Tests.Safetensors;

/// <summary>The safetensors reader: every header rule, every dtype name, metadata, aliases, zero-copy views.</summary>
public sealed class SafetensorsReaderTests
{
    private static PtFormatException Rejects(byte[] file, PtErrorKind kind, string fragment, SafetensorsReadOptions? options = null)
    {
        var e = Assert.ThrowsAny<PtFormatException>(() => SafetensorsFile.Load(file, options));
        Assert.Equal(kind, e.Kind);
        Assert.Contains(fragment, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Fact]
    public void A_minimal_file_reads_its_tensor_and_metadata()
    {
        var file = Build("""{"__metadata__":{"format":"pt","b":"2"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""", Floats(1, 2, 3, 4), pad: true);
        using var st = SafetensorsFile.Load(file);
        var w = st["w"];
        Assert.Equal(DType.Float32, w.DType);
        Assert.Equal([2L, 2], w.Shape);
        Assert.Equal([1f, 2, 3, 4], w.ToArray<float>());
        Assert.Equal(["format", "b"], st.Metadata.Keys);
        Assert.Equal("2", st.Metadata["b"]);
        Assert.True(st.HasMetadata);
        Assert.Equal(0, st.DataOffset % 8);
        Assert.True(st.IsAligned);
    }

    [Theory]
    [InlineData("BOOL", 4, 4, DType.Bool)]
    [InlineData("U8", 4, 4, DType.UInt8)]
    [InlineData("I8", 4, 4, DType.Int8)]
    [InlineData("F8_E5M2", 4, 4, DType.Float8E5M2)]
    [InlineData("F8_E4M3", 4, 4, DType.Float8E4M3FN)]
    [InlineData("F8_E8M0", 4, 4, DType.Float8E8M0FNU)]
    [InlineData("F8_E4M3FNUZ", 4, 4, DType.Float8E4M3FNUZ)]
    [InlineData("F8_E5M2FNUZ", 4, 4, DType.Float8E5M2FNUZ)]
    [InlineData("I16", 4, 8, DType.Int16)]
    [InlineData("U16", 4, 8, DType.UInt16)]
    [InlineData("F16", 4, 8, DType.Float16)]
    [InlineData("BF16", 4, 8, DType.BFloat16)]
    [InlineData("I32", 4, 16, DType.Int32)]
    [InlineData("U32", 4, 16, DType.UInt32)]
    [InlineData("F32", 4, 16, DType.Float32)]
    [InlineData("C64", 4, 32, DType.Complex64)]
    [InlineData("F64", 4, 32, DType.Float64)]
    [InlineData("I64", 4, 32, DType.Int64)]
    [InlineData("U64", 4, 32, DType.UInt64)]
    [InlineData("F4", 4, 2, DType.Float4E2M1FNx2)]
    public void Every_dtype_name_maps_to_its_torch_dtype(string name, long count, int bytes, DType torch)
    {
        var file = Build($$$"""{"t":{"dtype":"{{{name}}}","shape":[{{{count}}}],"data_offsets":[0,{{{bytes}}}]}}""", new byte[bytes]);
        using var st = SafetensorsFile.Load(file);
        var e = Assert.Single(st.Entries);
        Assert.Equal(name, e.DType.Name());
        Assert.True(SafetensorsDTypes.TryParse(name, out var parsed));
        Assert.Equal(e.DType, parsed);
        Assert.Equal(torch, e.Tensor!.DType);
        Assert.Equal(bytes, e.Tensor.ByteCount);
        Assert.True(SafetensorsDTypes.TryFromTorch(torch, out var back));
        Assert.Equal(e.DType, back);
    }

    [Theory]
    [InlineData("F6_E2M3")]
    [InlineData("F6_E3M2")]
    public void Six_bit_floats_are_valid_but_have_no_torch_tensor(string name)
    {
        var file = Build($$$"""{"t":{"dtype":"{{{name}}}","shape":[4],"data_offsets":[0,3]}}""", new byte[3]);
        using var st = SafetensorsFile.Load(file);
        Assert.Null(st.Entries[0].Tensor);
        Assert.Empty(st.Tensors);
        Assert.Equal(6, st.Entries[0].DType.BitSize());
    }

    [Fact]
    public void F4_pairs_become_float4_x2_elements()
    {
        var file = Build("""{"t":{"dtype":"F4","shape":[2,4],"data_offsets":[0,4]}}""", [1, 2, 3, 4]);
        using var st = SafetensorsFile.Load(file);
        Assert.Equal([2L, 2], st["t"].Shape);
        Assert.Equal([2L, 4], st.Entries[0].Shape);
    }

    [Fact]
    public void Tensors_are_zero_copy_views_of_the_mapping()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ptsharp-st-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", Floats(1, 2, 3), pad: true));
        try
        {
            using var st = SafetensorsFile.Open(path);
            unsafe
            {
                byte* a = st["a"].Storage!.Pointer, b = st["b"].Storage!.Pointer;
                Assert.Equal(8, b - a);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            var span = st["b"].AsSpan<float>();
            Assert.Equal(3f, span[0]);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Zero_size_and_scalar_tensors_read()
    {
        var file = Build("""{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"z":{"dtype":"I8","shape":[5,0],"data_offsets":[8,8]}}""", BitConverter.GetBytes(2.5));
        using var st = SafetensorsFile.Load(file);
        Assert.Equal(0, st["e"].ElementCount);
        Assert.Equal(0, st["s"].Rank);
        Assert.Equal(2.5, st["s"].ToArray<double>()[0]);
        Assert.Equal(0, st["z"].ElementCount);
    }

    [Fact]
    public void Aliases_in_metadata_are_retied_in_the_state_dict()
    {
        var file = Build("""{"__metadata__":{"format":"pt","lm_head.weight":"embed.weight","note":"not a tensor"},"embed.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2));
        using var st = SafetensorsFile.Load(file);
        Assert.Equal("embed.weight", Assert.Single(st.Aliases).Value);
        Assert.Equal(["embed.weight", "lm_head.weight"], st.StateDict.Select(t => t.Name));
        Assert.Same(st.StateDict[0].Tensor, st.StateDict[1].Tensor);
        Assert.Single(st.Tensors);
    }

    [Fact]
    public void Header_order_is_kept_and_offsets_may_come_in_any_order()
    {
        var file = Build("""{"z":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(7, 9));
        using var st = SafetensorsFile.Load(file);
        Assert.Equal(["z", "a"], st.Entries.Select(e => e.Name));
        Assert.Equal(9f, st["z"].ToArray<float>()[0]);
    }

    [Fact]
    public void An_empty_file_with_an_empty_object_is_valid()
    {
        using var st = SafetensorsFile.Load(Build("{}", pad: true));
        Assert.Empty(st.Entries);
        Assert.False(st.HasMetadata);
    }

    [Fact]
    public void Unaligned_files_still_read()
    {
        var file = Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}""", [9, .. Floats(4)]);
        using var st = SafetensorsFile.Load(file);
        Assert.False(st.IsAligned);
        Assert.Equal(4f, st["b"].ToArray<float>()[0]);
    }

    [Fact]
    public void A_file_shorter_than_the_length_field_is_truncated() =>
        Rejects([1, 2, 3], PtErrorKind.Truncated, "8-byte header length");

    [Fact]
    public void A_header_over_the_cap_is_refused_before_reading_it()
    {
        Rejects(Build("{}", headerLength: 100_000_001), PtErrorKind.LimitExceeded, "cap");
        Rejects(Build("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}"""), PtErrorKind.LimitExceeded, "cap", new SafetensorsReadOptions { MaxHeaderSize = 16 });
    }

    [Fact]
    public void A_header_longer_than_the_file_is_truncated() =>
        Rejects(Build("{}", headerLength: 50), PtErrorKind.Truncated, "header claims 50 bytes");

    [Fact]
    public void A_header_that_is_not_utf8_is_corrupt() =>
        Rejects(BuildRaw([(byte)'{', 0xFF, (byte)'}']), PtErrorKind.CorruptContainer, "UTF-8");

    [Theory]
    [InlineData(" {}")]
    [InlineData("[]")]
    [InlineData("")]
    public void A_header_must_start_with_a_brace(string json) =>
        Rejects(Build(json), PtErrorKind.CorruptContainer, "must start with '{'");

    [Theory]
    [InlineData("""{"a":}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},}""")]
    [InlineData("""{} x""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}""")]
    [InlineData("""{} {}""")]
    public void Malformed_json_is_corrupt(string json) => Rejects(Build(json), PtErrorKind.CorruptContainer, "");

    [Fact]
    public void Trailing_spaces_pad_the_header() =>
        SafetensorsFile.Load(Build("{}      ")).Dispose();

    [Fact]
    public void A_name_given_twice_is_corrupt() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", [1, 2]), PtErrorKind.CorruptContainer, "twice");

    [Fact]
    public void An_unknown_dtype_is_unsupported() =>
        Rejects(Build("""{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}""", new byte[16]), PtErrorKind.Unsupported, "F128");

    [Theory]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}""", "unknown field")]
    [InlineData("""{"a":{"dtype":"U8","data_offsets":[0,1]}}""", "lacks shape")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,1]}}""", "lacks dtype")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1]}}""", "lacks data_offsets")]
    [InlineData("""{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}""", "non-negative integers")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}""", "non-negative integers")]
    [InlineData("""{"a":{"dtype":"U8","shape":"1","data_offsets":[0,1]}}""", "array of integers")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":1,"shape":[1],"data_offsets":[0,1]}}""", "dtype must be a string")]
    [InlineData("""{"a":[1]}""", "must be an object")]
    [InlineData("""{"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", "must be a string")]
    [InlineData("""{"__metadata__":["x"],"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", "object of strings")]
    public void Tensor_records_are_validated_field_by_field(string json, string fragment) =>
        Rejects(Build(json, [7]), PtErrorKind.CorruptContainer, fragment);

    [Fact]
    public void A_hole_between_tensors_is_corrupt() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}""", [1, 2, 3]), PtErrorKind.CorruptContainer, "hole");

    [Fact]
    public void A_hole_at_the_start_is_corrupt() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", [1, 2]), PtErrorKind.CorruptContainer, "hole");

    [Fact]
    public void Overlapping_tensors_are_corrupt() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}""", [1, 2, 3]), PtErrorKind.CorruptContainer, "overlap");

    [Fact]
    public void A_zero_size_tensor_inside_another_is_an_overlap() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[0],"data_offsets":[1,1]}}""", [1, 2]), PtErrorKind.CorruptContainer, "overlap");

    [Fact]
    public void Trailing_bytes_after_the_last_tensor_are_corrupt() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [1, 2]), PtErrorKind.CorruptContainer, "after the last tensor");

    [Fact]
    public void Data_shorter_than_the_offsets_is_truncated() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}""", [1, 2]), PtErrorKind.Truncated, "need 4 data bytes");

    [Fact]
    public void Offsets_must_match_dtype_times_shape() =>
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", [1, 2, 3, 4]), PtErrorKind.InvalidTensor, "8 bytes");

    [Fact]
    public void Offsets_that_end_before_they_begin_are_invalid() =>
        Rejects(Build("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}""", [1]), PtErrorKind.InvalidTensor, "end before");

    [Fact]
    public void A_shape_that_overflows_is_invalid() =>
        Rejects(Build("""{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", new byte[8]), PtErrorKind.InvalidTensor, "overflow");

    [Fact]
    public void An_odd_number_of_four_bit_values_is_invalid() =>
        Rejects(Build("""{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}""", [1, 2]), PtErrorKind.InvalidTensor, "whole number of bytes");

    [Fact]
    public void A_lone_surrogate_escape_is_corrupt() =>
        Rejects(Build("""{"\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [1]), PtErrorKind.CorruptContainer, "");

    [Fact]
    public void Sniffing_tells_safetensors_from_pickle_files()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ptsharp-sniff-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(path, Build("{}", pad: true));
            Assert.True(SafetensorsFile.IsSafetensors(path));
            var e = Assert.Throws<PtFormatException>(() => PtFile.Open(path));
            Assert.Equal(PtErrorKind.UnknownFormat, e.Kind);
            File.WriteAllBytes(path, [0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E, 0, 0, 0, 0]);
            Assert.False(SafetensorsFile.IsSafetensors(path));
        }
        finally { File.Delete(path); }
    }
}
