// BenchmarkDotNet cases for the safetensors conversions `pt convert` runs (CheckpointConverter), with managed
// allocations (MemoryDiagnoser). Run from bench/PtSharp.Benchmarks:
//
//   dotnet run -c Release -- --filter '*Safetensors*'
//
// Needs big_1gib.pt in PTSHARP_BENCH_DATA (default /tmp/ptsharp-bench); see bench/SAFETENSORS.md for the
// side-by-side comparison with torch (bench/safetensors_side_by_side.sh).

using BenchmarkDotNet.Attributes;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Conversion;

namespace PtSharp.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class SafetensorsConvertBenchmarks
{
    private string _big = "", _st = "", _back = "";

    [GlobalSetup]
    public void Setup()
    {
        string dir = Environment.GetEnvironmentVariable("PTSHARP_BENCH_DATA") is { Length: > 0 } d ? d : "/tmp/ptsharp-bench";
        _big = System.IO.Path.Combine(dir, "big_1gib.pt");
        if (!File.Exists(_big)) throw new FileNotFoundException($"run /usr/bin/python3 bench/make_bench_data.py {dir}", _big);
        _st = System.IO.Path.Combine(dir, "bdn_model.safetensors");
        _back = System.IO.Path.Combine(dir, "bdn_back.pt");
        CheckpointConverter.Convert(_big, _st, new ConvertOptions());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var p in new[] { _st, _back }) if (File.Exists(p)) File.Delete(p);
    }

    /// <summary>big_1gib.pt → safetensors, verified and flushed (what pt convert does).</summary>
    [Benchmark]
    public int PtToSafetensors_1GiB() => CheckpointConverter.Convert(_big, _st, new ConvertOptions()).TensorCount;

    /// <summary>safetensors → .pt, verified and flushed.</summary>
    [Benchmark]
    public int SafetensorsToPt_1GiB() => CheckpointConverter.Convert(_st, _back, new ConvertOptions()).TensorCount;

    /// <summary>Opening the safetensors file and indexing its tensors (no data read).</summary>
    [Benchmark]
    public long OpenSafetensors_1GiB()
    {
        using var f = SafetensorsFile.Open(_st);
        long n = 0;
        foreach (var t in f.Tensors) n += t.Tensor.ElementCount;
        return n;
    }
}
