using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using PtSharp.Loading;
using PtSharp.Writing;

namespace PtSharp.Benchmarks;

/// <summary>
/// The write operations, shared by BenchmarkDotNet and --side-by-side. The source file is opened once (memory-mapped,
/// warm page cache), as torch.save's source is a state dict already in memory; each write goes to a fresh output
/// in the fixture folder (same file system), deleted and synced to disk outside the timed region.
/// </summary>
public static partial class WriteOps
{
    /// <summary><c>PtWriter.Save(path, root)</c>: temp file, fsync, rename (the public API, crash-safe).</summary>
    public static void Save(object? root, string output) => PtWriter.Save(output, root);

    /// <summary><c>PtWriter.Save(stream, root)</c> into a plain FileStream, no fsync: the same work as torch.save's.</summary>
    public static void SaveNoSync(object? root, string output)
    {
        using var s = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        PtWriter.Save(s, root, new PtSaveOptions { ArchiveName = System.IO.Path.GetFileNameWithoutExtension(output) });
    }

    /// <summary>The physical limit: the file's bytes read and written again through user space in 4 MiB chunks, no fsync.</summary>
    public static long CopyReadWrite(string source, string output, bool fsync = false)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(4 << 20, pinned: true);
        using var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var dst = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        long total = 0;
        int n;
        while ((n = src.Read(buffer, 0, buffer.Length)) > 0) { dst.Write(buffer, 0, n); total += n; }
        if (fsync) dst.Flush(flushToDisk: true);
        return total;
    }

    /// <summary>File.Copy (the kernel copies in-place: copy_file_range/sendfile on Linux), no fsync.</summary>
    public static void FileCopy(string source, string output) => File.Copy(source, output, overwrite: true);

    /// <summary>Removes an output and flushes dirty pages system-wide, so one iteration's writeback does not bill the next.</summary>
    public static void Reset(string output)
    {
        if (File.Exists(output)) File.Delete(output);
        foreach (var stale in Directory.GetFiles(System.IO.Path.GetDirectoryName(output)!, "." + System.IO.Path.GetFileName(output) + ".*.tmp")) File.Delete(stale);
        SyncAll();
    }

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void SyncAll();
}

/// <summary>Writing the 1 GiB and the 20,000-tensor fixtures, against copies of the 1 GiB file's bytes.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class WriteBenchmarks
{
    private PtFile? _big, _many;
    private string _bigPath = "", _out = "";

    [GlobalSetup]
    public void Setup()
    {
        _bigPath = BenchData.PathOf(BenchData.Dir, BenchData.Big);
        _big = PtFile.Open(_bigPath);
        _many = PtFile.Open(BenchData.PathOf(BenchData.Dir, BenchData.Many));
        _out = System.IO.Path.Combine(BenchData.Dir, "bdn_write_out.pt");
    }

    [IterationCleanup]
    public void Cleanup() => WriteOps.Reset(_out);

    [GlobalCleanup]
    public void Dispose()
    {
        _big?.Dispose();
        _many?.Dispose();
        WriteOps.Reset(_out);
    }

    [Benchmark(Baseline = true, Description = "CopyReadWrite_Big1GiB")]
    public long CopyBig() => WriteOps.CopyReadWrite(_bigPath, _out);

    [Benchmark(Description = "Save_Big1GiB")]
    public void SaveBig() => WriteOps.Save(_big!.Root, _out);

    [Benchmark(Description = "SaveNoSync_Big1GiB")]
    public void SaveNoSyncBig() => WriteOps.SaveNoSync(_big!.Root, _out);

    [Benchmark(Description = "Save_Many20k")]
    public void SaveMany() => WriteOps.Save(_many!.Root, _out);
}

/// <summary>The write cases of --side-by-side.</summary>
internal static class SideBySideWrites
{
    public static void Run(string dir, string big, string many, JsonObject cases)
    {
        string output = System.IO.Path.Combine(dir, "ptsharp_write_out.pt");
        long bigBytes = new FileInfo(big).Length;
        using (var f = PtFile.Open(big))
        {
            var root = f.Root;
            cases["write_big"] = Timed(() => WriteOps.Save(root, output), output, warmup: 1, iterations: 5, bigBytes);
            cases["write_big_nosync"] = Timed(() => WriteOps.SaveNoSync(root, output), output, warmup: 1, iterations: 5, bigBytes);
        }
        cases["copy_big_readwrite"] = Timed(() => WriteOps.CopyReadWrite(big, output), output, warmup: 1, iterations: 5, bigBytes);
        cases["copy_big_readwrite_fsync"] = Timed(() => WriteOps.CopyReadWrite(big, output, fsync: true), output, warmup: 1, iterations: 5, bigBytes);
        cases["copy_big_file_copy"] = Timed(() => WriteOps.FileCopy(big, output), output, warmup: 1, iterations: 5, bigBytes);

        using (var f = PtFile.Open(many))
        {
            var root = f.Root;
            long manyBytes = new FileInfo(many).Length;
            cases["write_many"] = Timed(() => WriteOps.Save(root, output), output, warmup: 2, iterations: 9, manyBytes);
            cases["write_many_nosync"] = Timed(() => WriteOps.SaveNoSync(root, output), output, warmup: 2, iterations: 9, manyBytes);
        }

        // Managed allocation of a whole rewrite of the 1 GiB file (open + save), after warm-up: minimum of 3.
        long min = long.MaxValue;
        for (int k = 0; k < 3; k++)
        {
            WriteOps.Reset(output);
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (var f = PtFile.Open(big)) PtWriter.Save(output, f.Root);
            min = Math.Min(min, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        cases["rewrite_big_alloc"] = new JsonObject { ["allocated_bytes"] = min, ["bytes"] = bigBytes };
        WriteOps.Reset(output);
    }

    private static JsonObject Timed(Action body, string output, int warmup, int iterations, long bytes)
    {
        for (int k = 0; k < warmup; k++) { WriteOps.Reset(output); body(); }
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
