// Loads resnet18 and the 1 GiB state dict (bench/make_bench_data.py) into TorchSharp modules with
// PtSharp.TorchSharp's LoadPt and with TorchSharp.PyBridge's load_py; prints median wall time and managed bytes
// allocated per load. Run inside a GLIBCXX 3.4.32 system (bench/torchsharp_bench.sh does it via the chroot).
//   dotnet PtSharp.TorchSharpBench.dll DATA_DIR [ITERATIONS]
using System.Diagnostics;
using PtSharp.TorchSharp;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

string data = args.Length > 0 ? args[0] : "/tmp/ptsharp-bench";
int iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;

Micro.Print();
Floor.Print(iterations);
foreach (var (name, file, make) in new (string, string, Func<nn.Module>)[]
         {
             ("resnet18", "resnet18.pt", () => torchvision.models.resnet18()),
             ("big_1gib", "big_1gib.pt", Big),
         })
{
    string path = Path.Combine(data, file);
    using var model = make();
    double gib = new FileInfo(path).Length / (double)(1L << 30);
    Breakdown.Print(name, model, path);
    foreach (var (loader, load) in new (string, Action)[]
             {
                 ("PtSharp.TorchSharp LoadPt", () => model.LoadPt(path)),
                 ("PyBridge load_py", () => model.load_py(path)),
                 ("(PtSharp open + state dict only)", () => { using var c = PtSharp.Checkpoint.Open(path); _ = c.StateDict.Count; }),
             })
    {
        try
        {
            load(); // warm: page cache, JIT
            var times = new List<double>();
            long allocated = 0;
            for (int i = 0; i < iterations; i++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                var sw = Stopwatch.StartNew();
                load();
                sw.Stop();
                allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"{name}\t{loader}\tmedian_ms={times[times.Count / 2]:F1}\tmanaged_bytes={allocated}\t" +
                              $"managed_per_gib={allocated / gib / (1 << 20):F3} MiB");
        }
        catch (Exception e)
        {
            Console.WriteLine($"{name}\t{loader}\tFAILED {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }
}

static nn.Module Big()
{
    // The 24 tensors of make_bench_data.py's big_1gib.pt as layers.{i}.weight.
    var layers = Enumerable.Range(0, 24)
        .Select(i => ($"{i}", (nn.Module<Tensor, Tensor>)nn.Linear(4096, i % 3 == 0 ? 4096 : 2048, hasBias: false))).ToArray();
    return nn.Sequential(("layers", nn.Sequential(layers)));
}
