using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Golden;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Writing;

/// <summary>
/// The zip layout of files <see cref="PtWriter"/> writes, read with an independent parser (<see cref="ZipInspector"/>):
/// every member stored, every payload 64-byte aligned through an FB extra field, the CRC-32 of every payload equal to
/// the central directory's, a data descriptor after every non-empty payload, ZIP64 end record + locator, members
/// contiguous and in torch.save's order.
/// </summary>
public sealed class WrittenLayoutTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-layout-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathFor(string name) => Path.Combine(_dir.FullName, name);

    private static PyDict Sd(params (string Name, PtTensor Tensor)[] items)
    {
        var d = new PyDict("collections.OrderedDict");
        foreach (var (n, t) in items) d.Set(n, t);
        return d;
    }

    public static IEnumerable<object[]> Roots() =>
    [
        ["empty"], ["one_tensor"], ["mixed"], ["zero_byte_storages"], ["checkpoint_seed_3"], ["checkpoint_seed_11"],
        ["large_records"],
    ];

    /// <summary>Records of 1 MiB and more get their CRC-32 from a second thread (RecordChecksums); mix them with small ones and a view.</summary>
    private static PyDict LargeRecords()
    {
        var rng = new Random(5);
        var big = new float[3 * 262_144 + 17];
        for (int i = 0; i < big.Length; i++) big[i] = (float)rng.NextDouble();
        var exact = new byte[1 << 20];
        rng.NextBytes(exact);
        var bigTensor = PtTensor.FromArray(big, [big.Length]);
        return Sd(
            ("small", PtTensor.FromArray(new int[] { 1, 2, 3 }, [3])),
            ("big", bigTensor),
            ("big_tail_view", bigTensor.View([1000], [1], big.Length - 1000)),
            ("exactly_1mib", PtTensor.FromArray(exact, [exact.Length])),
            ("just_under", PtTensor.FromArray(new byte[(1 << 20) - 1], [(1 << 20) - 1])));
    }

    private static object? Root(string name) => name switch
    {
        "empty" => new PyDict("collections.OrderedDict"),
        "one_tensor" => Sd(("w", PtTensor.FromArray(new float[] { 1, 2, 3 }, [3]))),
        "mixed" => Sd(
            ("a", PtTensor.FromArray(Enumerable.Range(0, 1000).Select(i => (double)i).ToArray(), [10, 100])),
            ("b", PtTensor.Scalar((byte)7)),
            ("c", PtTensor.FromArray(new bool[] { true, false, true }, [3])),
            ("d", PtTensor.FromArray(new Half[] { (Half)1, (Half)2 }, [2]))),
        "zero_byte_storages" => Sd(
            ("e0", PtTensor.FromArray(Array.Empty<float>(), [0])),
            ("x", PtTensor.FromArray(new int[] { 5 }, [1])),
            ("e1", PtTensor.FromArray(Array.Empty<long>(), [2, 0]))),
        "checkpoint_seed_3" => new RandomTrees(3).Checkpoint(),
        "checkpoint_seed_11" => new RandomTrees(11).Checkpoint(),
        "large_records" => LargeRecords(),
        _ => throw new ArgumentException(name),
    };

    private static void AssertClean(ZipInspector z, string what) =>
        Assert.True(z.Problems.Count == 0, $"{what}:\n{string.Join("\n", z.Problems.Take(30))}");

    [Theory]
    [MemberData(nameof(Roots))]
    public void Members_are_stored_aligned_and_checksummed(string name)
    {
        string path = PathFor(name + ".pt");
        var root = Root(name);
        PtWriter.Save(path, root);
        var z = ZipInspector.Inspect(path);
        AssertClean(z, name);

        using var file = PtFile.Open(path);
        int storages = file.Storages.Count;
        Assert.Empty(z.RecordProblems(path, name, storages));
        Assert.Equal(z.Members.Count, file.Entries.Count);
        foreach (var m in z.Members)
        {
            Assert.Equal(0, m.Method);
            Assert.Equal(0, m.DataOffset % 64);
            Assert.True(m.PaddingLength is >= 0 and < 64);
            Assert.Equal(m.Crc, m.PayloadCrc);
            if (m.Size > 0) Assert.Equal(m.DataOffset + m.Size, m.DescriptorOffset);
            else Assert.Null(m.DescriptorOffset);
            // PtSharp's own reader agrees with the independent parser
            var e = file.Entries.Single(x => x.Name == m.Name);
            Assert.Equal((m.DataOffset, m.Crc, m.Size, m.Method), (e.DataOffset, e.Crc32, e.UncompressedSize, e.Method));
        }
        Assert.True(z.Zip64EndOffset > 0);
        Assert.Equal(file.Storages.Count(s => s.ByteLength == 0), z.Members.Count(m => m.Size == 0));
        if (name == "zero_byte_storages") Assert.Equal(2, z.Members.Count(m => m.Size == 0));
    }

    [Fact]
    public void Padding_takes_every_value_from_0_to_63()
    {
        var pads = new HashSet<int>();
        var t = PtTensor.FromArray(new short[] { 1, 2, 3 }, [3]);
        for (int len = 1; len <= 64; len++)
        {
            string archive = new('a', len);
            string path = PathFor($"pad{len}.pt");
            PtWriter.Save(path, Sd(("w", t)), new PtSaveOptions { ArchiveName = archive });
            var z = ZipInspector.Inspect(path);
            AssertClean(z, archive);
            Assert.Empty(z.RecordProblems(path, archive, 1));
            foreach (var m in z.Members) pads.Add(m.PaddingLength);
        }
        Assert.Equal(Enumerable.Range(0, 64), pads.Order());
    }

    [Fact]
    public void Saving_to_a_path_and_to_a_stream_write_the_same_bytes()
    {
        var root = new RandomTrees(5).Checkpoint();
        string path = PathFor("same.pt");
        PtWriter.Save(path, root);
        var ms = new MemoryStream();
        PtWriter.Save(ms, root, new PtSaveOptions { ArchiveName = "same" });
        Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
        var again = new MemoryStream();
        PtWriter.Save(again, root, new PtSaveOptions { ArchiveName = "same", ChunkSize = 4096 });
        Assert.Equal(ms.ToArray(), again.ToArray());
    }

    [Fact]
    public void The_inspector_sees_a_flipped_payload_byte_and_a_bad_descriptor()
    {
        string path = PathFor("flip.pt");
        PtWriter.Save(path, Sd(("w", PtTensor.FromArray(new float[] { 1, 2, 3, 4 }, [4]))));
        var m = ZipInspector.Inspect(path).Members.Single(x => x.Name == "flip/data/0");
        var bytes = File.ReadAllBytes(path);
        bytes[m.DataOffset + 5] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        Assert.Contains(ZipInspector.Inspect(path).Problems, p => p.Contains("CRC", StringComparison.Ordinal));
        bytes[m.DataOffset + 5] ^= 0x10;
        bytes[m.DescriptorOffset!.Value + 4] ^= 1; // the descriptor's CRC
        File.WriteAllBytes(path, bytes);
        Assert.Contains(ZipInspector.Inspect(path).Problems, p => p.Contains("descriptor CRC", StringComparison.Ordinal));
    }

    [Fact]
    public void Rewritten_golden_fixtures_have_the_layout()
    {
        int n = 0;
        var failures = new List<string>();
        foreach (var golden in GoldenCase.All().Select(c => (GoldenCase)c[0]))
        {
            if (golden.LoadExpected().TryGetProperty("error", out _)) continue;
            using var file = PtFile.Open(golden.FixturePath);
            string path = PathFor($"g{n++}.pt");
            object? root = file.Format == PtFormat.TorchScript
                ? StateDictOf(file)
                : file.Root;
            PtWriter.Save(path, root);
            var z = ZipInspector.Inspect(path);
            int storages = z.Members.Count(m => m.Name.Contains("/data/", StringComparison.Ordinal));
            var problems = z.Problems.Concat(z.RecordProblems(path, Path.GetFileNameWithoutExtension(path), storages)).ToList();
            if (problems.Count > 0) failures.Add($"{golden}: {string.Join("; ", problems.Take(3))}");
            File.Delete(path);
        }
        output.WriteLine($"{n} fixtures rewritten and inspected");
        Assert.True(n > 50, $"only {n} fixtures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static PyDict StateDictOf(PtFile file)
    {
        var d = new PyDict("collections.OrderedDict");
        foreach (var t in file.StateDict) d.Set(t.Name, t.Tensor.Detach());
        return d;
    }

    [Fact]
    public void More_than_65535_members_saturate_the_classic_end_record()
    {
        const int count = 66_000;
        var sd = new PyDict("collections.OrderedDict");
        for (int i = 0; i < count; i++) sd.Set($"p{i}", PtTensor.FromArray(new int[] { i }, [1]));
        string path = PathFor("many.pt");
        PtWriter.Save(path, sd);
        var z = ZipInspector.Inspect(path);
        AssertClean(z, "many");
        Assert.Equal(count + 3, z.Members.Count);
        Assert.Equal(0xFFFF, z.EocdEntryCount);
        Assert.Empty(z.RecordProblems(path, "many", count));
        using var file = PtFile.Open(path);
        Assert.Equal(count, file.Tensors.Count);
        Assert.Equal(65_999, file.Tensors[^1].Tensor.ToArray<int>()[0]);
    }

    /// <summary>
    /// A 4 GiB + 64-byte storage (zero pages, nearly free in RAM and, written as a sparse file, on disk) makes the
    /// archive cross 4 GiB: its size needs ZIP64 extras, the records after it need 64-bit offsets, the central
    /// directory offset saturates in the classic end record.
    /// </summary>
    [Fact]
    public void An_archive_over_4_GiB_uses_zip64_sizes_and_offsets()
    {
        string path = PathFor("big.pt");
        long size = (4L << 30) + 64;
        using (var zero = new ZeroPages(size))
        {
            zero.Slice(0, 4)[..].Fill(0xAB);
            zero.Slice(size - 3, 3).Fill(0xCD);
            var big = PtTensor.FromStorage(zero.Storage(), DType.UInt8, [size], [1], 0);
            var sd = Sd(("big", big), ("small", PtTensor.FromArray(new float[] { 1.5f, -2, 3 }, [3])), ("tail", big.View([2], [1], size - 2)));
            using var s = new SparseFileStream(path);
            PtWriter.Save(s, sd, new PtSaveOptions { ArchiveName = "big" });
        }
        var z = ZipInspector.Inspect(path);
        AssertClean(z, "big");
        Assert.Empty(z.RecordProblems(path, "big", 2));
        var d0 = z.Members.Single(m => m.Name == "big/data/0");
        var d1 = z.Members.Single(m => m.Name == "big/data/1");
        Assert.Equal(size, d0.Size);
        Assert.True(d0.LocalZip64 && d0.DescriptorLength == 24);
        Assert.True(d1.LocalHeaderOffset > 0xFFFFFFFFL && d1.LocalZip64);
        Assert.Equal(0xFFFFFFFFu, z.EocdCentralDirectoryOffset);
        Assert.True(z.CentralDirectoryOffset > 0xFFFFFFFFL);

        using var file = PtFile.Open(path);
        var tensors = file.Tensors.ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Equal([size], tensors["big"].Shape);
        Assert.Equal(new byte[] { 0xAB, 0xAB, 0xAB, 0xAB, 0 }, tensors["big"].View([5], [1], 0).ToArray<byte>());
        Assert.Equal(new byte[] { 0xCD, 0xCD }, tensors["tail"].ToArray<byte>());
        Assert.Same(tensors["big"].Storage, tensors["tail"].Storage);
        Assert.Equal(new float[] { 1.5f, -2, 3 }, tensors["small"].ToArray<float>());
        output.WriteLine($"{new FileInfo(path).Length:N0}-byte archive, central directory at {z.CentralDirectoryOffset:N0}");
    }
}
