using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using PtSharp.Conversion;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Rewriting a file PtSharp opened copies its large storages file to file in the kernel (<see cref="KernelCopy"/>):
/// the output is byte for byte the file the mapped-copy fallback writes, real torch 1.13 and 2.6 load it equal to
/// the original (storage sharing included), and a source truncated after it was opened is a typed error.
/// </summary>
public sealed class KernelCopyRewriteTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-kcopy-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathFor(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>
    /// Saves <paramref name="root"/> as <paramref name="name"/> once through the kernel (in kernel/) and once
    /// through the fallback (in fallback/: the same file name, so the same archive name); asserts the two files
    /// are identical and returns the kernel copy's path and byte count.
    /// </summary>
    private (string Path, long Copied) SaveBothWays(object? root, string name, Action<string, object?>? save = null)
    {
        save ??= (p, r) => PtWriter.Save(p, r);
        string kernelPath = Path.Combine(_dir.CreateSubdirectory("kernel").FullName, name);
        string fallbackPath = Path.Combine(_dir.CreateSubdirectory("fallback").FullName, name);
        var copied = new StrongBox<long>();
        KernelCopy.Copied = copied;
        save(kernelPath, root);
        KernelCopy.Copied = null;
        KernelCopy.Disabled = true;
        try { save(fallbackPath, root); }
        finally { KernelCopy.Disabled = false; }
        Assert.Equal(File.ReadAllBytes(fallbackPath), File.ReadAllBytes(kernelPath));
        return (kernelPath, copied.Value);
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Torch_files_rewritten_in_the_kernel_equal_the_fallback_and_load_equal_in_torch(string version)
    {
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped (run tools/setup-oracles.sh)");
            return;
        }
        string script = Path.Combine(RepoPaths.Root, "tests", "interop", "rewrite_fixtures.py");
        var (code, _, stderr) = Oracle.Run(version, [script, "make", _dir.FullName], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stderr);
        var pairs = new JsonArray();
        foreach (string name in new[] { "plain", "shared", "checkpoint" })
        {
            string kernel;
            string source = PathFor(name + ".pt");
            using (var file = PtFile.Open(source))
            {
                long large = file.Tensors.Select(t => t.Tensor.Storage!).Distinct().Where(s => s.ByteLength >= 1 << 20)
                    .Sum(s => s.ByteLength);
                (kernel, long copied) = SaveBothWays(file.Root, name + ".pt");
                output.WriteLine($"{name}: {copied:N0} bytes copied in the kernel, {large:N0} in storages of 1 MiB+");
                if (KernelCopy.IsAvailable) Assert.Equal(large, copied);
                Assert.True(large > 0);
            }
            // pt convert's path (whole object, verified by reading back) writes the same bytes too
            var (converted, _) = SaveBothWays(null, name + ".convert.pt",
                (p, _) => Assert.True(CheckpointConverter.Convert(source, p, new ConvertOptions()).Verified));
            pairs.Add(new JsonArray(source, kernel));
            pairs.Add(new JsonArray(source, converted));
        }
        string pairsPath = PathFor("pairs.json");
        File.WriteAllText(pairsPath, pairs.ToJsonString());
        (code, string stdout, stderr) = Oracle.Run(version, [script, "check", pairsPath], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stderr);
        var problems = JsonSerializer.Deserialize<string[]>(stdout.Trim().Split('\n')[^1])!;
        Assert.True(problems.Length == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// A source whose records lie past 4 GiB (a sparse file: a 4 GiB zero storage first) is copied from 64-bit
    /// offsets; only the storages after the big one are rewritten, so the test writes a few MiB.
    /// </summary>
    [Fact]
    public void Storages_past_4_GiB_in_the_source_are_copied_from_their_64_bit_offsets()
    {
        string source = PathFor("over4g.pt");
        long size = (4L << 30) + 64;
        var after = new float[(3 << 20) / 4];
        var rng = new Random(7);
        for (int i = 0; i < after.Length; i++) after[i] = (float)rng.NextDouble();
        using (var zero = new ZeroPages(size))
        {
            var root = new PyDict("collections.OrderedDict")
            {
                { "zeros", PtTensor.FromStorage(zero.Storage(), DType.UInt8, [size], [1], 0) },
                { "after", PtTensor.FromArray(after, [after.Length]) },
                { "small", PtTensor.FromArray(new[] { 1f, 2f }, [2]) },
            };
            using var s = new SparseFileStream(source);
            PtWriter.Save(s, root, new PtSaveOptions { ArchiveName = "over4g" });
        }
        using var file = PtFile.Open(source);
        var tensors = file.StateDict.Where(t => t.Name != "zeros").ToList();
        Assert.True(tensors.Single(t => t.Name == "after").Tensor.Storage!.TryGetFileRange(out _, out long offset));
        Assert.True(offset > 0xFFFFFFFFL);
        var sd = new PyDict("collections.OrderedDict");
        foreach (var (n, t) in tensors) sd.Set(n, t);
        var (written, copied) = SaveBothWays(sd, "rewritten.pt");
        if (KernelCopy.IsAvailable) Assert.Equal(after.Length * 4L, copied);
        using var back = PtFile.Open(written);
        Assert.Equal(after, back.StateDict.Single(t => t.Name == "after").Tensor.ToArray<float>());
    }

    /// <summary>
    /// Source on tmpfs, output on the test folder's file system: whatever the kernel allows, the bytes agree.
    /// </summary>
    [Fact]
    public void A_source_on_another_file_system_is_copied_or_falls_back_to_the_same_bytes()
    {
        if (!Directory.Exists("/dev/shm")) return;
        string source = Path.Combine("/dev/shm", $"ptsharp-kcopy-{Guid.NewGuid():N}.pt");
        try
        {
            PtWriter.Save(source, Sd(Floats(1 << 19, 3)));
            using var file = PtFile.Open(source);
            SaveBothWays(file.Root, "rewritten.pt");
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_source_truncated_after_it_was_opened_is_a_typed_error_and_leaves_no_file(bool fallback)
    {
        string source = PathFor("src.pt"), target = PathFor("out.pt");
        PtWriter.Save(source, Sd(Floats(1 << 19, 1), Floats(1 << 19, 2)));
        using var file = PtFile.Open(source);
        using (var h = File.OpenHandle(source, FileMode.Open, FileAccess.Write))
            RandomAccess.SetLength(h, RandomAccess.GetLength(h) - (3 << 20));
        KernelCopy.Disabled = fallback;
        try
        {
            var e = Assert.Throws<PtFormatException>(() => PtWriter.Save(target, file.Root));
            Assert.Equal(PtErrorKind.Truncated, e.Kind);
            Assert.Contains("truncated after it was opened", e.Message);
            // opened afresh, the cut file no longer reads as a zip: a typed error too
            Assert.ThrowsAny<PtFormatException>(() =>
                CheckpointConverter.Convert(source, PathFor("c.pt"), new ConvertOptions()));
        }
        finally
        {
            KernelCopy.Disabled = false;
        }
        Assert.Equal(["src.pt"], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void A_kernel_copy_past_the_end_of_the_source_reports_the_short_copy()
    {
        if (!KernelCopy.IsAvailable) return;
        string source = PathFor("a.bin"), target = PathFor("b.bin");
        File.WriteAllBytes(source, Enumerable.Range(0, 10000).Select(i => (byte)i).ToArray());
        using var src = File.OpenHandle(source);
        using var dst = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write);
        long n = KernelCopy.Copy(src, 1000, dst, 64, 20000, out bool ended);
        Assert.True(ended);
        Assert.Equal(9000, n);
        dst.Dispose();
        Assert.Equal(File.ReadAllBytes(source)[1000..], File.ReadAllBytes(target)[64..]);
    }

    [Fact]
    public void Checksums_of_a_file_region_past_its_end_fail_with_a_typed_error()
    {
        string source = PathFor("a.bin");
        File.WriteAllBytes(source, new byte[5000]);
        using var h = File.OpenHandle(source);
        using var sums = new RecordChecksums([new RecordChecksums.Region(0, 2 << 20, h, 100, "0")]);
        var e = Assert.Throws<PtFormatException>(() => sums.Get(0));
        Assert.Equal(PtErrorKind.Truncated, e.Kind);
        Assert.Equal("0", e.Record);
    }

    private static PtTensor Floats(int count, int seed)
    {
        var rng = new Random(seed);
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)rng.NextDouble();
        return PtTensor.FromArray(data, [count]);
    }

    private static PyDict Sd(params PtTensor[] tensors)
    {
        var d = new PyDict("collections.OrderedDict");
        for (int i = 0; i < tensors.Length; i++) d.Set("t" + i, tensors[i]);
        return d;
    }
}
