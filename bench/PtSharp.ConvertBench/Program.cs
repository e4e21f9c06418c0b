// pt convert's conversion pipeline (PtSharp.Sharding.CheckpointConverter, exactly what the CLI runs), timed in
// process on the 1 GiB benchmark state dict, with managed allocations. Prints one JSON object.
//
//   dotnet run -c Release --project bench/PtSharp.ConvertBench -- DATA_DIR [--loops N]
//
// Cases (1 warm-up + N timed iterations, median; output removed and `sync` run between iterations, outside the
// timed region, as bench/safetensors_torch.py does):
//   pt_to_st            big_1gib.pt -> model.safetensors (verified by reading back, flushed to disk)
//   st_to_pt            model.safetensors -> back.pt     (verified, flushed)
//   pt_to_st_noverify   the same without verification (for context)
//   st_to_pt_noverify
// Allocation: GC.GetTotalAllocatedBytes(precise: true) around one conversion (every thread), after the warm-up.

using System.Diagnostics;
using System.Text.Json.Nodes;
using PtSharp.Sharding;
using PtSharp.Conversion;

string dir = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Environment.GetEnvironmentVariable("PTSHARP_BENCH_DATA") ?? "/tmp/ptsharp-bench";
int loops = Array.IndexOf(args, "--loops") is int li and >= 0 ? int.Parse(args[li + 1]) : 3;
string big = Path.Combine(dir, "big_1gib.pt");
if (!File.Exists(big)) { Console.Error.WriteLine($"missing {big}; run /usr/bin/python3 bench/make_bench_data.py {dir}"); return 2; }
string st = Path.Combine(dir, "cs_model.safetensors");
string back = Path.Combine(dir, "cs_back.pt");

using (var warm = File.OpenRead(big)) { var buffer = new byte[64 << 20]; while (warm.Read(buffer) > 0) { } }

var cases = new JsonObject();
cases["pt_to_st"] = Time(big, st, verify: true);
cases["st_to_pt"] = Time(st, back, verify: true);
cases["pt_to_st_noverify"] = Time(big, st, verify: false);
CheckpointConverter.Convert(big, st, new ConvertOptions());
cases["st_to_pt_noverify"] = Time(st, back, verify: false);
foreach (var p in new[] { st, back }) if (File.Exists(p)) File.Delete(p);

var result = new JsonObject
{
    ["runtime"] = Environment.Version.ToString(),
    ["gc"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
    ["processors"] = Environment.ProcessorCount,
    ["loops"] = loops,
    ["cases"] = cases,
};
Console.WriteLine(result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
return 0;

JsonObject Time(string input, string output, bool verify)
{
    void Reset()
    {
        if (File.Exists(output)) File.Delete(output);
        using (var p = Process.Start("sync")) p!.WaitForExit();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }
    ConvertReport Run() => CheckpointConverter.Convert(input, output, new ConvertOptions { Verify = verify });
    Reset();
    Run(); // warm-up
    var times = new List<double>();
    long allocated = long.MaxValue;
    for (int i = 0; i < loops; i++)
    {
        Reset();
        long a0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var report = Run();
        sw.Stop();
        allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - a0);
        times.Add(sw.Elapsed.TotalSeconds);
        if (verify && !report.Verified) throw new InvalidOperationException("not verified");
    }
    times.Sort();
    return new JsonObject
    {
        ["median_s"] = times[times.Count / 2],
        ["min_s"] = times[0],
        ["max_s"] = times[^1],
        ["loops"] = loops,
        ["allocated_bytes"] = allocated,
    };
}
