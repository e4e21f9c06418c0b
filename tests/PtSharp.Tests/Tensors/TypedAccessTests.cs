using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Tensors;

/// <summary>Typed accessors check the dtype; reading bits as another type is explicit; bad caller views are argument errors.</summary>
public sealed class TypedAccessTests
{
    [Fact]
    public void Typed_accessors_refuse_another_type_of_the_same_size_and_reinterpret_reads_the_bits()
    {
        var t = PtTensor.FromArray(new float[] { 1f, -2f }, [2]);
        var e = Assert.Throws<ArgumentException>(() => t.AsSpan<int>().Length);
        Assert.Contains("Reinterpret", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => t.ToArray<uint>());
        Assert.Throws<ArgumentException>(() => t.AsTensorSpan<int>());
        Assert.Equal([0x3F800000, unchecked((int)0xC0000000)], t.Reinterpret<int>().ToArray());
        Assert.Equal(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(-2f)), t.AsBytes().ToArray());
        Assert.Throws<ArgumentException>(() => t.Reinterpret<long>().Length); // a different size is never right
        Assert.Equal([1f, -2f], t.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Dtypes_without_a_dotnet_type_read_as_their_raw_bits()
    {
        var bf16 = PtTensor.FromArray(new ushort[] { 0x3F80 }, [1], DType.BFloat16);
        Assert.Equal([(ushort)0x3F80], bf16.AsSpan<ushort>().ToArray());
        Assert.Throws<ArgumentException>(() => bf16.AsSpan<short>().Length);
        Assert.Throws<ArgumentException>(() => bf16.AsSpan<Half>().Length);
        var half = PtTensor.FromArray(new[] { (Half)1.5 }, [1]);
        Assert.Equal([(Half)1.5], half.AsSpan<Half>().ToArray());
        Assert.Throws<ArgumentException>(() => half.AsSpan<ushort>().Length);
        Assert.Equal([(ushort)BitConverter.HalfToUInt16Bits((Half)1.5)], half.Reinterpret<ushort>().ToArray());
    }

    [Fact]
    public void A_bad_view_built_by_the_caller_is_an_argument_exception()
    {
        var t = PtTensor.FromArray(new float[6], [2, 3]);
        var past = Assert.Throws<ArgumentException>(() => t.View([3, 3], [3, 1], 0));
        Assert.Contains("past the end", past.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => t.View([2], [-1], 0));
        Assert.Throws<ArgumentException>(() => t.View([2, 3], [3], 0));
        Assert.Throws<ArgumentException>(() => PtTensor.FromStorage(t.Storage!, DType.Float32, [1], [1], -1));
        Assert.Equal([3L], t.View([3], [1], 3).Shape);
    }

    [Fact]
    public void ToStrings_describe_values_not_type_names()
    {
        using var file = PtFile.Open(Path.Combine(RepoPaths.Fixtures, "torch-1.13", "quantized_tensors.pt"));
        Assert.Matches(@"^zip file '.*quantized_tensors\.pt' \(\w+, \d+ storages\)$", file.ToString());
        var q = file.Tensors.Select(t => t.Tensor.Quantization).First(x => x is not null)!;
        Assert.StartsWith("per_", q.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PtSharp.", file.Entries[0].ToString(), StringComparison.Ordinal);
        Assert.Equal("list[2]", new PtSharp.Pickle.PyList([1L, 2L]).ToString());
        Assert.Equal("frozenset[0]", new PtSharp.Pickle.PySet(frozen: true).ToString());
        var report = PtSharp.Scanning.PtScanner.ScanFile(file.Path!);
        Assert.Matches(@"^scan of '.*': clean \(0 findings\)$", report.ToString());
    }
}
