using PtSharp.Cli.Commands;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Scanning;

namespace PtSharp.Tests.Attacks;

/// <summary>
/// The attack files of <see cref="SharedTreeCommandTests"/> (memo-shared DAGs 40–64 levels deep, two million
/// references to one object, 5,000 levels of nesting) through the library (<c>Checkpoint.Open</c> with its tensors,
/// state dict, kind and other values; <c>PtFile</c>; <c>PtScanner</c>) and the CLI's text output, each on its own
/// thread with a 60 s guard so a regression fails instead of hanging the suite. Each either succeeds or fails with
/// a typed <see cref="PtFormatException"/>; allocation and the walker's step count stay linear in the pickle.
/// </summary>
public sealed class SharedTreeBoundsTests
{
    /// <summary>
    /// Managed bytes one operation may allocate on its thread: 64 MiB, or 96 bytes per input byte for the 4 MB file of
    /// two million references (measured: the pickle machine ~11 B, tensor naming ~38 B, a whole Checkpoint.Open
    /// ~84 B per input byte, because each reference gets its key path).
    /// </summary>
    private static long MaxAllocated(string path) => Math.Max(64L << 20, 96 * new FileInfo(path).Length);

    public static IEnumerable<object[]> Cases() => SharedTreeCommandTests.Cases();

    /// <summary>
    /// Runs <paramref name="work"/> on a fresh thread, fails after 60 s, and returns the bytes it allocated and the
    /// object-walk steps it took on that thread.
    /// </summary>
    private static (long Allocated, long Steps) Guarded(string what, Action work)
    {
        long allocated = 0, steps = 0;
        var task = Task.Factory.StartNew(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long stepsBefore = ObjectWalk.StepsOnThisThread;
            try { work(); }
            catch (PtFormatException) { } // a typed refusal is an accepted outcome
            finally
            {
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                steps = ObjectWalk.StepsOnThisThread - stepsBefore;
            }
        }, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), $"{what} did not end within 60 s");
        return (allocated, steps);
    }

    private static string Write(string dir, string name)
    {
        string input = Path.Combine(dir, "in.pt");
        File.WriteAllBytes(input, SharedTreeCommandTests.Make(name));
        return input;
    }

    /// <summary>Steps a walk may take: a few per pickle byte (each container and reference is one step).</summary>
    private static long StepBound(string path) => 16 * new FileInfo(path).Length + 10_000;

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_library_reads_a_shared_or_deep_tree_in_linear_work(string name)
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-dag-").FullName;
        try
        {
            string input = Write(dir, name);
            var runs = new (string What, Action Work)[]
            {
                ("Checkpoint.Open", () =>
                {
                    using var c = Checkpoint.Open(input);
                    _ = c.Kind;
                    Assert.NotEmpty(c.Tensors);
                    Assert.NotEmpty(c.StateDict);
                    _ = c.OtherValues.Count;
                }),
                ("PtFile", () =>
                {
                    using var f = PtFile.Open(input);
                    _ = f.Kind;
                    _ = f.Tensors.Count;
                    _ = f.StateDict.Count;
                }),
                ("PtScanner", () => Assert.NotNull(PtScanner.ScanFile(input))),
            };
            foreach (var (what, work) in runs)
            {
                var (allocated, steps) = Guarded($"{name}: {what}", work);
                Assert.True(allocated < MaxAllocated(input), $"{name}: {what} allocated {allocated >> 20} MiB");
                Assert.True(steps <= StepBound(input), $"{name}: {what} took {steps} walk steps");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cli_text_inspect_and_diff_end_in_linear_work(string name)
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-dag-").FullName;
        try
        {
            string input = Write(dir, name);
            // Inputs is how many files the command reads (diff opens both sides).
            var runs = new (string What, int Inputs, Func<TextWriter, TextWriter, int> Run)[]
            {
                ("inspect", 1, (o, e) => InspectCommand.Run(o, e, input, json: false, stats: false, code: false,
                    strict: false)),
                ("inspect --json", 1, (o, e) => InspectCommand.Run(o, e, input, json: true, stats: false,
                    code: false, strict: false)),
                ("diff", 2, (o, e) => DiffCommand.Run(o, e, input, input, 0, 0, json: false)),
            };
            foreach (var (what, inputs, run) in runs)
            {
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                int code = -1;
                var (allocated, steps) = Guarded($"{name}: {what}", () => code = run(stdout, stderr));
                string error = stderr.ToString();
                Assert.True(code is 0 or 1 or 2, $"{name}: {what} exited {code}: {error}");
                Assert.DoesNotContain("Exception", error);
                Assert.True(error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 1, $"{what}: {error}");
                Assert.True(allocated < inputs * MaxAllocated(input),
                    $"{name}: {what} allocated {allocated >> 20} MiB");
                Assert.True(steps <= inputs * StepBound(input), $"{name}: {what} took {steps} walk steps");
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
