using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PtSharp.Conversion;
using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Benchmarks;

/// <summary>
/// The --rewrite mode (bench/rewrite_side_by_side.sh, issue 11): rewriting the 1 GiB fixture against the floor of
/// an in-kernel copy, and saving resident (managed-memory) tensors. Every case writes a fresh output in the fixture
/// folder; the output is deleted and dirty pages synced outside the timed region. Median of
/// <c>iterations</c> after one warm-up.
/// </summary>
internal static class RewriteCases
{
    public static int Run(string dir, int iterations)
    {
        string big = BenchData.PathOf(dir, BenchData.Big);
        string output = Path.Combine(dir, "ptsharp_rewrite_out.pt");
        long bytes = new FileInfo(big).Length;
        Warm(big);
        var cases = new JsonObject
        {
            // The floor: File.Copy (copy_file_range on Linux) and an fsync of the copy.
            ["file_copy_fsync"] = Timed(() => CopyAndSync(big, output), output, iterations, bytes),
            // What `pt convert big.pt out.pt` runs: open, write (temp file, fsync, rename), verify by reading back.
            ["convert"] = Timed(() => CheckpointConverter.Convert(big, output, new ConvertOptions()), output, iterations, bytes),
        };
        using (var f = PtFile.Open(big))
        {
            var root = f.Root;
            cases["save_mapped"] = Timed(() => PtWriter.Save(output, root), output, iterations, bytes);
            var resident = new StateDict(f.StateDict.Select(t => new NamedTensor(t.Name, Resident(t.Tensor))).ToList());
            cases["save_resident"] = Timed(() => PtWriter.SaveStateDict(output, resident), output, iterations, bytes);
            cases["save_resident_nosync"] = Timed(() =>
            {
                using var s = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                PtWriter.Save(s, ToDict(resident), new PtSaveOptions { ArchiveName = "ptsharp_rewrite_out" });
            }, output, iterations, bytes);
        }
        Console.WriteLine(new JsonObject { ["iterations"] = iterations, ["cases"] = cases }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>A copy of the tensor's bytes in a managed array: a tensor in memory, as torch.save's are.</summary>
    private static PtTensor Resident(PtTensor t) => PtTensor.FromArray(t.AsSpan<float>().ToArray(), t.Shape.ToArray());

    private static Pickle.PyDict ToDict(StateDict sd)
    {
        var d = new Pickle.PyDict("collections.OrderedDict");
        foreach (var (name, tensor) in sd) d.Set(name, tensor);
        return d;
    }

    private static void CopyAndSync(string source, string output)
    {
        File.Copy(source, output, overwrite: true);
        using var h = File.OpenHandle(output, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.FlushToDisk(h);
    }

    private static void Warm(string path)
    {
        var buffer = new byte[16 << 20];
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        while (s.Read(buffer, 0, buffer.Length) > 0) { }
    }

    private static JsonObject Timed(Action body, string output, int iterations, long bytes)
    {
        WriteOps.Reset(output);
        body();
        var times = new double[iterations];
        long allocated = 0;
        for (int k = 0; k < iterations; k++)
        {
            WriteOps.Reset(output);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            body();
            long t1 = Stopwatch.GetTimestamp();
            allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
            times[k] = (t1 - t0) / (double)Stopwatch.Frequency;
        }
        WriteOps.Reset(output);
        return TimingSummary.Of(times, bytes, allocated);
    }
}
