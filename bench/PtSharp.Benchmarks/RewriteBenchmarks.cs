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
            ["convert"] = Timed(() => CheckpointConverter.Convert(big, output, new ConvertOptions()), output,
                iterations, bytes),
            // The same with the kernel copy switched off (the mapped copy every write used before): an A/B in one run.
            ["convert_mapped_copy"] = WithoutKernelCopy(() =>
                Timed(() => CheckpointConverter.Convert(big, output, new ConvertOptions()), output, iterations, bytes)),
            ["convert_no_verify"] = Timed(
                () => CheckpointConverter.Convert(big, output, new ConvertOptions { Verify = false }),
                output, iterations, bytes),
        };
        using (var f = PtFile.Open(big))
        {
            var root = f.Root;
            cases["save_mapped"] = Timed(() => PtWriter.Save(output, root), output, iterations, bytes);
            cases["save_mapped_copy"] = WithoutKernelCopy(() =>
                Timed(() => PtWriter.Save(output, root), output, iterations, bytes));
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

    /// <summary>
    /// Kernel copy against mapped copy, interleaved (ABAB...) so a shared machine's drift bills both alike: the
    /// median of each, for PtWriter.Save(path) of the mapped file and for the convert.
    /// </summary>
    public static int RunInterleaved(string dir, int rounds)
    {
        string big = BenchData.PathOf(dir, BenchData.Big);
        string output = Path.Combine(dir, "ptsharp_rewrite_out.pt");
        long bytes = new FileInfo(big).Length;
        Warm(big);
        var cases = new JsonObject();
        using (var f = PtFile.Open(big))
        {
            var root = f.Root;
            Interleave(cases, "save", () => PtWriter.Save(output, root), output, rounds, bytes);
        }
        Interleave(cases, "convert", () => CheckpointConverter.Convert(big, output, new ConvertOptions()), output,
            rounds, bytes);
        Console.WriteLine(new JsonObject { ["rounds"] = rounds, ["cases"] = cases }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static void Interleave(JsonObject cases, string name, Action body, string output, int rounds, long bytes)
    {
        var kernel = new double[rounds];
        var mapped = new double[rounds];
        WithoutKernelCopy(() => { WriteOps.Reset(output); body(); return 0; });
        WriteOps.Reset(output);
        body();
        for (int k = 0; k < rounds; k++)
        {
            kernel[k] = Once(body, output);
            mapped[k] = WithoutKernelCopy(() => Once(body, output));
        }
        WriteOps.Reset(output);
        cases[name + "_kernel_copy"] = TimingSummary.Of(kernel, bytes, 0);
        cases[name + "_mapped_copy"] = TimingSummary.Of(mapped, bytes, 0);
    }

    private static double Once(Action body, string output)
    {
        WriteOps.Reset(output);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        long t0 = Stopwatch.GetTimestamp();
        body();
        return (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
    }

    /// <summary>Runs <paramref name="body"/> with PtSharp's kernel copy off (internal KernelCopy.Disabled).</summary>
    private static T WithoutKernelCopy<T>(Func<T> body)
    {
        var disabled = typeof(PtWriter).Assembly.GetType("PtSharp.IO.KernelCopy")!
            .GetProperty("Disabled", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!;
        disabled.SetValue(null, true);
        try { return body(); }
        finally { disabled.SetValue(null, false); }
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
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1,
            FileOptions.SequentialScan);
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
