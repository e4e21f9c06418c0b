using PtSharp.Cli.Commands;
using PtSharp.Pickle;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Attacks;

/// <summary>
/// Object trees that are DAGs (containers shared through the memo), two million references to one object and
/// 5,000 levels of nesting, each through <c>inspect</c>, <c>scan</c>, <c>convert</c> (.pt and .safetensors) and
/// <c>diff</c>: every command ends (result or one error line), bounded in allocation. The step bound is the walkers'
/// node budget (each container visited once), not wall time.
/// </summary>
public sealed class SharedTreeCommandTests(ITestOutputHelper log)
{
    /// <summary>Bytes one command allocates on its thread (GC churn, not peak): 512 MiB or 256 bytes per input byte.</summary>
    private static long AllocationBound(long inputBytes) => Math.Max(512L << 20, 256 * inputBytes);

    /// <summary>
    /// Steps of the object-tree walks one command takes: each container is entered once, so a few walks over the
    /// tree cost a small multiple of the pickle's size (each reference is at least one byte of pickle).
    /// </summary>
    private static long StepBound(long inputBytes) => 8 * inputBytes + 100_000;

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
            p.Pop(); // the level below stays reachable through the memo only
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

    internal static byte[] Make(string name) => name switch
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
                ("report", (o, e) => ReportCommand.Run(o, e, input, Path.Combine(dir, "report.html"), null, false)),
            };
            foreach (var (command, run) in runs)
            {
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                long before = GC.GetAllocatedBytesForCurrentThread();
                long stepsBefore = ObjectWalk.StepsOnThisThread;
                int code = run(stdout, stderr);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                long steps = ObjectWalk.StepsOnThisThread - stepsBefore;
                log.WriteLine($"{name} ({bytes.Length} B): {command}: exit {code}, {allocated >> 10} KiB, " +
                    $"{steps} steps; {stderr.ToString().Trim()}");
                Assert.True(allocated < AllocationBound(bytes.Length),
                    $"{name}: {command} allocated {allocated >> 20} MiB");
                Assert.True(steps < StepBound(bytes.Length), $"{name}: {command} took {steps} walk steps");
                Assert.DoesNotContain("internal error", stderr.ToString());
                Assert.DoesNotContain("Exception", stderr.ToString());
                Assert.True(code is 0 or 1 or 2, $"{name}: {command} exited {code}: {stderr}");
                Assert.True(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 3, $"{name}: {command}: {stderr}");
                if (name == "nesting-5000" && command is not ("scan" or "report"))
                {
                    // the typed walk error, one line naming the limit, the key path and the record
                    Assert.Equal(2, code);
                    Assert.Contains("more than 1000 levels deep (at 'x.0.0.0", stderr.ToString());
                    Assert.Contains("archive/data.pkl", stderr.ToString());
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("convert")]
    [InlineData("diff")]
    public void The_cli_process_exits_2_with_one_line_when_the_walk_depth_is_exceeded(string command)
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-dag-cli-").FullName;
        try
        {
            string input = Path.Combine(dir, "deep.pt");
            File.WriteAllBytes(input, DeepNesting(5000));
            string[] args = command switch
            {
                "inspect" => ["inspect", input],
                "convert" => ["convert", input, Path.Combine(dir, "out.safetensors")],
                _ => ["diff", input, input],
            };
            var r = CliProcess.Run(TimeSpan.FromSeconds(60), args);
            Assert.Equal(2, r.ExitCode);
            var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains("object tree is nested more than 1000 levels deep", lines[0]);
            Assert.DoesNotContain("Exception", lines[0]);
            Assert.False(File.Exists(Path.Combine(dir, "out.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_cli_process_ends_fast_on_a_64_level_shared_tree()
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-dag-cli-").FullName;
        try
        {
            string input = Path.Combine(dir, "dag.pt");
            File.WriteAllBytes(input, Shared("list", 64, tensor: true));
            // a 60 s timeout is the failure signal; a walk without its budget takes longer than the universe
            var inspect = CliProcess.Run(TimeSpan.FromSeconds(60), "inspect", input);
            Assert.Equal(0, inspect.ExitCode);
            string output = Path.Combine(dir, "o.safetensors");
            var convert = CliProcess.Run(TimeSpan.FromSeconds(60), "convert", input, output);
            Assert.True(convert.ExitCode is 0 or 1, convert.Stderr);
            var diff = CliProcess.Run(TimeSpan.FromSeconds(60), "diff", input, input);
            Assert.Equal(0, diff.ExitCode);
        }
        finally { Directory.Delete(dir, true); }
    }
}
