using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Rewriting a file streams tensor bytes from the mapped source to the output in bounded chunks: the managed
/// allocation of PtFile.Open + PtWriter.Save stays small and does not grow with the size of the data.
/// </summary>
public sealed class StreamingAllocationTests(ITestOutputHelper output) : IDisposable
{
    private const int Tensors = 16;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-stream-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>A state dict of <see cref="Tensors"/> float32 tensors totalling <paramref name="megabytes"/> MiB, written with PtWriter.</summary>
    private string MakeSource(int megabytes)
    {
        string path = Path.Combine(_dir.FullName, $"src{megabytes}.pt");
        var sd = new PyDict("collections.OrderedDict");
        int floats = megabytes * (1 << 20) / 4 / Tensors;
        for (int i = 0; i < Tensors; i++)
        {
            var data = GC.AllocateUninitializedArray<float>(floats);
            data.AsSpan().Fill(i);
            sd.Set($"block{i}.weight", PtTensor.FromArray(data, [floats / 256, 256]));
        }
        PtWriter.Save(path, sd);
        return path;
    }

    /// <summary>Managed bytes allocated on this thread by one open + rewrite (the writer is single-threaded).</summary>
    private long RewriteAllocation(string source, string target)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var f = PtFile.Open(source))
            PtWriter.Save(target, f.Root);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(new FileInfo(source).Length, new FileInfo(target).Length); // archive names of equal length
        return allocated;
    }

    [Fact]
    public void Rewriting_allocates_little_and_independently_of_the_data_size()
    {
        string big = MakeSource(256), small = MakeSource(64);
        GC.Collect();
        RewriteAllocation(small, Path.Combine(_dir.FullName, "wrm64.pt")); // JIT and type loading
        long a256 = RewriteAllocation(big, Path.Combine(_dir.FullName, "out256.pt"));
        long a64 = RewriteAllocation(small, Path.Combine(_dir.FullName, "out64.pt"));
        output.WriteLine($"managed allocation of open + rewrite: 256 MiB file {a256:N0} bytes, 64 MiB file {a64:N0} bytes");
        Assert.True(a256 < 16 << 20, $"rewriting 256 MiB allocated {a256:N0} bytes (limit 16 MiB)");
        // same structure, 4x the data: allocation must not scale with the bytes (allow 256 KiB of noise)
        Assert.True(a256 - a64 < 256 << 10, $"256 MiB: {a256:N0} bytes, 64 MiB: {a64:N0} bytes; allocation grows with the data");

        using var a = PtFile.Open(big);
        using var b = PtFile.Open(Path.Combine(_dir.FullName, "out256.pt"));
        for (int i = 0; i < Tensors; i++)
            Assert.True(a.Tensors[i].Tensor.Storage!.Bytes.SequenceEqual(b.Tensors[i].Tensor.Storage!.Bytes), $"tensor {i} differs");
    }
}
