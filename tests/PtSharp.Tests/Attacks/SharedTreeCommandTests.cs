using PtSharp.Cli.Commands;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Attacks;

/// <summary>
/// Object trees that are DAGs (containers shared through the memo), two million references to one object and
/// 5,000 levels of nesting, each through <c>inspect</c>, <c>scan</c>, <c>convert</c> (.pt and .safetensors) and
/// <c>diff</c>: every command ends (result or one error line), bounded in allocation. The step bound is the walkers'
/// node budget (each container visited once), not wall time.
/// </summary>
public sealed class SharedTreeCommandTests
{
    /// <summary>Bytes one command allocates on its thread (GC churn, not peak): 512 MiB or 256 bytes per input byte.</summary>
    private static long AllocationBound(long inputBytes) => Math.Max(512L << 20, 256 * inputBytes);

    private static byte[] Floats() => new byte[16];

    /// <summary>Each level holds the previous one twice (2^levels paths); the bottom level holds a tensor or not.</summary>
    private static byte[] Shared(string kind, int levels, bool tensor)
    {
        var p = PickleBuilder.Start(2).EmptyDict().Str("w").Tensor("FloatStorage", "0", 4, 0, [4], [1]).BinPut(0).SetItem();
        p.Str("x");
        // level 1: (tensor,) or ()
        if (tensor) p.Mark().BinGet(0).Tuple(); else p.EmptyTuple();
        p.LongBinPut(1);
        for (uint level = 2; level <= levels + 1; level++)
        {
            switch (kind)
            {
                case "list": p.Mark().LongBinGet(level - 1).LongBinGet(level - 1).List(); break;
                case "tuple": p.LongBinGet(level - 1).LongBinGet(level - 1).Tuple2(); break;
                default: p.Mark().Str("a").LongBinGet(level - 1).Str("b").LongBinGet(level - 1).Dict(); break;
            }
            p.LongBinPut(level);
        }
        return ZipBuilder.MakePt(p.SetItem().Stop().ToArray(), Floats());
    }

    private static byte[] ManyReferences()
    {
        var p = PickleBuilder.Start(2).EmptyDict().Str("w").Tensor("FloatStorage", "0", 4, 0, [4], [1]).SetItem()
            .Str("x").EmptyDict().Str("k").BinInt1(1).SetItem().BinPut(0).Pop().EmptyList();
        for (int chunk = 0; chunk < 2000; chunk++)
        {
            p.Mark();
            for (int i = 0; i < 1000; i++) p.BinGet(0);
            p.Appends();
        }
        return ZipBuilder.MakePt(p.SetItem().Stop().ToArray(), Floats());
    }

    private static byte[] DeepNesting(int levels)
    {
        var p = PickleBuilder.Start(2).EmptyDict().Str("w").Tensor("FloatStorage", "0", 4, 0, [4], [1]).SetItem().Str("x");
        for (int i = 0; i < levels; i++) p.EmptyList();
        for (int i = 1; i < levels; i++) p.Append();
        return ZipBuilder.MakePt(p.SetItem().Stop().ToArray(), Floats());
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (var kind in new[] { "list", "dict", "tuple" })
            foreach (int levels in new[] { 40, 64 })
                foreach (bool tensor in new[] { true, false })
                    yield return [$"{kind}-{levels}-{(tensor ? "tensor" : "plain")}"];
        yield return ["two-million-references"];
        yield return ["nesting-5000"];
    }

    private static byte[] Make(string name) => name switch
    {
        "two-million-references" => ManyReferences(),
        "nesting-5000" => DeepNesting(5000),
        _ => Shared(name.Split('-')[0], int.Parse(name.Split('-')[1]), name.EndsWith("tensor")),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_command_ends_bounded_on_a_shared_or_deep_object_tree(string name)
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-dag-").FullName;
        try
        {
            string input = Path.Combine(dir, "in.pt");
            var bytes = Make(name);
            File.WriteAllBytes(input, bytes);
            var runs = new (string Command, Func<TextWriter, TextWriter, int> Run)[]
            {
                ("inspect", (o, e) => InspectCommand.Run(o, e, input, json: true, stats: false, code: false, strict: false)),
                ("scan", (o, e) => ScanCommand.Run(o, e, [input], json: true, null, strict: false, recursive: false, [])),
                ("convert .pt", (o, e) => ConvertCommand.Run(o, e, input, Path.Combine(dir, "out.pt"), new ConvertCommand.Settings { Quiet = true })),
                ("convert .safetensors", (o, e) => ConvertCommand.Run(o, e, input, Path.Combine(dir, "out.safetensors"), new ConvertCommand.Settings { Quiet = true })),
                ("diff", (o, e) => DiffCommand.Run(o, e, input, input, 0, 0, json: true)),
            };
            foreach (var (command, run) in runs)
            {
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                long before = GC.GetAllocatedBytesForCurrentThread();
                int code = run(stdout, stderr);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < AllocationBound(bytes.Length), $"{name}: {command} allocated {allocated >> 20} MiB");
                Assert.DoesNotContain("internal error", stderr.ToString());
                Assert.DoesNotContain("Exception", stderr.ToString());
                Assert.True(code is 0 or 1 or 2, $"{name}: {command} exited {code}: {stderr}");
                Assert.True(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 3, $"{name}: {command}: {stderr}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
