// pt quantize / pt prune's library calls (DynamicQuantizer.Quantize, MagnitudePruner.Prune, exactly what the CLI
// runs), once each on the 1 GiB benchmark state dict, in process, with managed allocations. Prints one JSON object.
//
//   dotnet run -c Release --project bench/PtSharp.OptimizeBench -- DATA_DIR
//
// Allocation: GC.GetTotalAllocatedBytes(precise: true) around one call (every thread). The whole-process
// comparison with torch is bench/optimize_side_by_side.sh.

using System.Diagnostics;
using System.Text.Json.Nodes;
using PtSharp.Optimization;

string dir = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Environment.GetEnvironmentVariable("PTSHARP_BENCH_DATA") ?? "/tmp/ptsharp-bench";
string big = Path.Combine(dir, "big_1gib.pt");
if (!File.Exists(big)) { Console.Error.WriteLine($"missing {big}; run /usr/bin/python3 bench/make_bench_data.py {dir}"); return 2; }
string output = Path.Combine(dir, "cs_optimized.pt");

var cases = new JsonObject
{
    ["quantize"] = Measure(() => DynamicQuantizer.Quantize(big, output, new QuantizeOptions())),
    ["quantize_per_channel"] = Measure(() => DynamicQuantizer.Quantize(big, output, new QuantizeOptions { PerChannel = true })),
    ["prune_layer"] = Measure(() => MagnitudePruner.Prune(big, output, new PruneOptions { Amount = 0.3 })),
    ["prune_global"] = Measure(() => MagnitudePruner.Prune(big, output, new PruneOptions { Amount = 0.3, Scope = PruneScope.Global })),
    ["prune_keep_mask"] = Measure(() => MagnitudePruner.Prune(big, output, new PruneOptions { Amount = 0.3, KeepMask = true })),
};
File.Delete(output);
Console.WriteLine(new JsonObject { ["input_bytes"] = new FileInfo(big).Length, ["cases"] = cases }.ToJsonString(new() { WriteIndented = true }));
return 0;

static JsonObject Measure(Action run)
{
    long a0 = GC.GetTotalAllocatedBytes(precise: true);
    var sw = Stopwatch.StartNew();
    run();
    sw.Stop();
    long allocated = GC.GetTotalAllocatedBytes(precise: true) - a0;
    return new JsonObject { ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 3), ["allocated_mib"] = Math.Round(allocated / 1048576.0, 2) };
}
