// PtSharp benchmarks.
//
//   dotnet run -c Release --project bench/PtSharp.Benchmarks -- --filter '*'          BenchmarkDotNet (all cases)
//   dotnet run -c Release --project bench/PtSharp.Benchmarks -- --side-by-side DIR   Stopwatch medians (JSON)
//        add --only read|write to time only the read cases or only the write cases (WriteBenchmarks.cs)
//   ... -- --rewrite DIR [N]       rewriting the 1 GiB fixture vs File.Copy + fsync (RewriteBenchmarks.cs)
//   ... -- --rewrite-ab DIR [N]    kernel copy vs mapped copy, interleaved
//
// Fixtures come from `/usr/bin/python3 bench/make_bench_data.py DIR`; BenchmarkDotNet reads them from the folder in
// PTSHARP_BENCH_DATA (default /tmp/ptsharp-bench). See bench/README.md.

using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using PtSharp;
using PtSharp.Loading;

namespace PtSharp.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        int ab = Array.IndexOf(args, "--rewrite-ab");
        if (ab >= 0)
            return RewriteCases.RunInterleaved(ab + 1 < args.Length ? args[ab + 1] : BenchData.Dir,
                ab + 2 < args.Length ? int.Parse(args[ab + 2], CultureInfo.InvariantCulture) : 5);
        int r = Array.IndexOf(args, "--rewrite");
        if (r >= 0)
            return RewriteCases.Run(r + 1 < args.Length ? args[r + 1] : BenchData.Dir,
                r + 2 < args.Length ? int.Parse(args[r + 2], CultureInfo.InvariantCulture) : 3);
        int i = Array.IndexOf(args, "--side-by-side");
        if (i >= 0)
        {
            string dir = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : BenchData.Dir;
            int only = Array.IndexOf(args, "--only");
            string which = only >= 0 && only + 1 < args.Length ? args[only + 1] : "all";
            return SideBySide.Run(dir, reads: which != "write", writes: which != "read");
        }
        // Artifacts (logs, reports, generated projects) go to /tmp, not into the working tree; --artifacts overrides.
        var config = DefaultConfig.Instance.WithArtifactsPath(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ptsharp-bench-artifacts"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}

/// <summary>Fixture paths and the operations every mode times, so BenchmarkDotNet and --side-by-side measure the same code.</summary>
public static class BenchData
{
    public const string Big = "big_1gib.pt";
    public const string Many = "many_20k.pt";
    public const string ResNet18 = "resnet18.pt";

    public static string Dir => Environment.GetEnvironmentVariable("PTSHARP_BENCH_DATA") is { Length: > 0 } d ? d : "/tmp/ptsharp-bench";

    public static string PathOf(string dir, string name)
    {
        string p = System.IO.Path.Combine(dir, name);
        if (!File.Exists(p)) throw new FileNotFoundException($"benchmark fixture {p} is missing; run: /usr/bin/python3 bench/make_bench_data.py {dir}", p);
        return p;
    }

    /// <summary>Open + index: opens the file and reads every tensor's name, dtype and shape; no tensor data is touched.</summary>
    public static long OpenIndex(string path)
    {
        using var f = PtFile.Open(path);
        long acc = 0;
        foreach (var nt in f.Tensors)
        {
            acc += nt.Name.Length + (int)nt.Tensor.DType;
            var shape = nt.Tensor.Shape;
            for (int d = 0; d < shape.Count; d++) acc += shape[d];
        }
        return acc;
    }

    /// <summary>Materialize: opens the file and copies every tensor into a managed float[] (what torch.load does).</summary>
    public static float[][] Materialize(string path)
    {
        using var f = PtFile.Open(path);
        var tensors = f.Tensors;
        var result = new float[tensors.Count][];
        for (int k = 0; k < result.Length; k++) result[k] = tensors[k].Tensor.ToArray<float>();
        return result;
    }

    /// <summary>The raw bytes of every tensor of an open file, as zero-copy spans over its mapping.</summary>
    public static List<(IntPtr Pointer, int Length)> TensorRegions(PtFile f)
    {
        var list = new List<(IntPtr, int)>();
        foreach (var nt in f.Tensors)
        {
            var bytes = MemoryMarshal.AsBytes(nt.Tensor.AsSpan<float>());
            unsafe { fixed (byte* p = bytes) list.Add(((IntPtr)p, bytes.Length)); }
        }
        return list;
    }

    /// <summary>Plain memory copy of the given regions into one preallocated destination (the baseline).</summary>
    public static unsafe long CopyInto(List<(IntPtr Pointer, int Length)> regions, byte[] destination)
    {
        long at = 0;
        foreach (var (p, n) in regions)
        {
            new ReadOnlySpan<byte>((void*)p, n).CopyTo(destination.AsSpan((int)at, n));
            at += n;
        }
        return at;
    }

    /// <summary>Plain memory copy of the given regions into freshly allocated arrays (what materialize does, minus parsing).</summary>
    public static unsafe byte[][] CopyFresh(List<(IntPtr Pointer, int Length)> regions)
    {
        var result = new byte[regions.Count][];
        for (int k = 0; k < result.Length; k++)
        {
            var (p, n) = regions[k];
            result[k] = GC.AllocateUninitializedArray<byte>(n);
            new ReadOnlySpan<byte>((void*)p, n).CopyTo(result[k]);
        }
        return result;
    }

    public static long TotalBytes(List<(IntPtr Pointer, int Length)> regions) => regions.Sum(r => (long)r.Length);
}

/// <summary>Open + index on the three fixtures.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class OpenIndexBenchmarks
{
    private string _big = "", _many = "", _resnet = "";

    [GlobalSetup]
    public void Setup()
    {
        _big = BenchData.PathOf(BenchData.Dir, BenchData.Big);
        _many = BenchData.PathOf(BenchData.Dir, BenchData.Many);
        _resnet = BenchData.PathOf(BenchData.Dir, BenchData.ResNet18);
    }

    [Benchmark(Description = "OpenIndex_Big1GiB_24t")]
    public long OpenIndexBig() => BenchData.OpenIndex(_big);

    [Benchmark(Description = "OpenIndex_Many20k")]
    public long OpenIndexMany() => BenchData.OpenIndex(_many);

    [Benchmark(Description = "OpenIndex_ResNet18")]
    public long OpenIndexResNet18() => BenchData.OpenIndex(_resnet);
}

/// <summary>Materializing the 1 GiB fixture into managed arrays, against a plain copy of the same bytes.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class MaterializeBenchmarks
{
    private string _big = "";
    private PtFile? _open;
    private List<(IntPtr Pointer, int Length)> _regions = [];
    private byte[] _destination = [];

    [GlobalSetup]
    public void Setup()
    {
        _big = BenchData.PathOf(BenchData.Dir, BenchData.Big);
        _open = PtFile.Open(_big);
        _regions = BenchData.TensorRegions(_open);
        _destination = GC.AllocateUninitializedArray<byte>(checked((int)BenchData.TotalBytes(_regions)));
        BenchData.CopyInto(_regions, _destination); // fault in both sides once
    }

    [GlobalCleanup]
    public void Cleanup() => _open?.Dispose();

    [Benchmark(Baseline = true, Description = "MemCopy_Big1GiB")]
    public long MemCopyBig() => BenchData.CopyInto(_regions, _destination);

    [Benchmark(Description = "Materialize_Big1GiB")]
    public int MaterializeBig() => BenchData.Materialize(_big).Length;
}

/// <summary>The --side-by-side mode: in-process Stopwatch medians with a warm page cache, printed as JSON.</summary>
internal static class SideBySide
{
    public static int Run(string dir, bool reads = true, bool writes = true)
    {
        string big = BenchData.PathOf(dir, BenchData.Big);
        string many = BenchData.PathOf(dir, BenchData.Many);
        string resnet = BenchData.PathOf(dir, BenchData.ResNet18);
        foreach (var p in new[] { big, many, resnet }) WarmPageCache(p);

        var cases = new JsonObject();
        if (reads) ReadCases(big, many, resnet, cases);
        if (writes) SideBySideWrites.Run(dir, big, many, cases);

        var result = new JsonObject
        {
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["processors"] = Environment.ProcessorCount,
            ["server_gc"] = GCSettings.IsServerGC,
            ["gc_latency_mode"] = GCSettings.LatencyMode.ToString(),
            ["retain_vm"] = AppContext.GetData("System.GC.RetainVM")?.ToString() ?? "default",
            ["cases"] = cases,
        };
        Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static void ReadCases(string big, string many, string resnet, JsonObject cases)
    {
        cases["open_index_big"] = OpenIndexCase(big, warmup: 5, iterations: 31);
        cases["open_index_many"] = OpenIndexCase(many, warmup: 3, iterations: 15);
        cases["open_index_resnet18"] = OpenIndexCase(resnet, warmup: 5, iterations: 31);

        using (var f = PtFile.Open(big))
        {
            var regions = BenchData.TensorRegions(f);
            long total = BenchData.TotalBytes(regions);
            var destination = GC.AllocateUninitializedArray<byte>(checked((int)total));
            cases["memcopy_big"] = Case(() => BenchData.CopyInto(regions, destination), warmup: 2, iterations: 9, bytes: total);
            destination = null;
            Collect();
            cases["memcopy_fresh_big"] = Case(() => BenchData.CopyFresh(regions), warmup: 2, iterations: 9, bytes: total);
        }
        Collect();
        cases["materialize_big"] = Case(() => BenchData.Materialize(big), warmup: 2, iterations: 9, bytes: new FileInfo(big).Length);
    }

    private static JsonObject OpenIndexCase(string path, int warmup, int iterations)
    {
        var node = Case(() => BenchData.OpenIndex(path), warmup, iterations, new FileInfo(path).Length);
        // Managed allocation of one open+index after warm-up (JIT and type loading are done by then): minimum of 3.
        long min = long.MaxValue;
        for (int k = 0; k < 3; k++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            BenchData.OpenIndex(path);
            long after = GC.GetAllocatedBytesForCurrentThread();
            min = Math.Min(min, after - before);
        }
        node["allocated_bytes"] = min;
        using var f = PtFile.Open(path);
        node["tensors"] = f.Tensors.Count;
        return node;
    }

    private static JsonObject Case<T>(Func<T> body, int warmup, int iterations, long bytes)
    {
        for (int k = 0; k < warmup; k++) { GC.KeepAlive(body()); Collect(); }
        var times = new double[iterations];
        long allocated = 0;
        int collections = 0;
        for (int k = 0; k < iterations; k++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            int c0 = GC.CollectionCount(0);
            long t0 = Stopwatch.GetTimestamp();
            var r = body();
            long t1 = Stopwatch.GetTimestamp();
            collections += GC.CollectionCount(0) - c0;
            allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
            GC.KeepAlive(r);
            r = default;
            times[k] = (t1 - t0) / (double)Stopwatch.Frequency;
            Collect();
        }
        var summary = TimingSummary.Of(times, bytes, allocated); // allocated: of the last iteration (OpenIndexCase overwrites it)
        summary["gc_during_timed_iterations"] = collections; // garbage collections that ran inside the timed regions
        return summary;
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    private static void WarmPageCache(string path)
    {
        var buffer = new byte[16 << 20];
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        while (s.Read(buffer, 0, buffer.Length) > 0) { }
    }
}
