using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tensors;
using PtSharp.Tests.Golden;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Attacks;

/// <summary>
/// A bounded in-process mutation fuzz over the fixture corpus and the malicious corpus: at least 200,000
/// inputs on all cores in well under three minutes. Oracle: loading ends in a result or a
/// <see cref="PtFormatException"/>, data accessors throw only their documented exceptions, the scanner never
/// throws, and no input takes more than a few seconds. Inputs that break the oracle are written to a temporary
/// folder (named in the failure) to be kept as files in <c>Attacks/regressions/</c>.
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    // PTSHARP_FUZZ_INPUTS and PTSHARP_FUZZ_SEED run longer or different campaigns locally; CI uses the defaults.
    private static readonly int Inputs = int.TryParse(Environment.GetEnvironmentVariable("PTSHARP_FUZZ_INPUTS"), out int n) && n > 0 ? n : 200_000;
    private static readonly int BaseSeed = int.TryParse(Environment.GetEnvironmentVariable("PTSHARP_FUZZ_SEED"), out int s) ? s : 1234;
    private static readonly TimeSpan MaxPerInput = TimeSpan.FromSeconds(5);

    // Tokens the mutator splices in: opcodes with typical arguments and zip signatures.
    private static readonly byte[][] Dictionary =
    [
        [0x80, 0x02], [0x80, 0x04], [0x80, 0x05], [0x95, 8, 0, 0, 0, 0, 0, 0, 0], [0x93], [0x94], [0x52], [0x81], [0x92], [0x62],
        [0x28], [0x74], [0x29], [0x85], [0x86], [0x87], [0x5D], [0x7D], [0x61], [0x65], [0x73], [0x75], [0x30], [0x31], [0x32],
        [0x71, 0], [0x68, 0], [0x72, 0xFF, 0xFF, 0xFF, 0xFF], [0x6A, 0xFF, 0xFF, 0xFF, 0xFF], [0x51], [0x2E], [0x4E], [0x88],
        [0x4B, 0xFF], [0x4D, 0xFF, 0xFF], [0x4A, 0xFF, 0xFF, 0xFF, 0x7F], [0x4A, 0, 0, 0, 0x80], [0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x80],
        [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19], [0x58, 0xFF, 0xFF, 0xFF, 0x7F],
        [0x8E, 0, 0, 0, 0, 0, 0, 0, 0x40], [0x8C, 2, (byte)'o', (byte)'s'],
        "ctorch._utils\n_rebuild_tensor_v2\n"u8.ToArray(), "ctorch\nFloatStorage\n"u8.ToArray(), "cos\nsystem\n"u8.ToArray(),
        "ccollections\nOrderedDict\n"u8.ToArray(), "X\x07\x00\x00\x00storage"u8.ToArray(),
        "PK\x03\x04"u8.ToArray(), "PK\x01\x02"u8.ToArray(), "PK\x05\x06"u8.ToArray(), "PK\x06\x06"u8.ToArray(), "PK\x06\x07"u8.ToArray(),
        [0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0], [1, 0, 0, 0],
    ];

    private sealed record Seed(string Name, byte[] Bytes, string? PickleMember, byte[]? Pickle, (string Name, byte[] Data)[] Others);

    private static List<Seed> Seeds()
    {
        var files = GoldenCase.FixtureDirectories().Append(Path.Combine(RepoPaths.Root, "tests", "malicious"))
            .Append(Path.Combine(RepoPaths.Root, "tests", "PtSharp.Tests", "Attacks", "regressions"))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d))
            .Where(f => !f.EndsWith(".json", StringComparison.Ordinal) && !f.EndsWith(".py", StringComparison.Ordinal) && new FileInfo(f).Length <= 256 << 10)
            .Order(StringComparer.Ordinal);
        var seeds = new List<Seed>();
        foreach (var f in files)
        {
            var bytes = File.ReadAllBytes(f);
            string? member = null;
            byte[]? pickle = null;
            var others = new List<(string, byte[])>();
            try
            {
                using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
                foreach (var e in zip.Entries)
                {
                    using var s = e.Open();
                    var ms = new MemoryStream();
                    s.CopyTo(ms);
                    if (member is null && e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)) { member = e.FullName; pickle = ms.ToArray(); }
                    else others.Add((e.FullName, ms.ToArray()));
                }
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or ArgumentException) { member = null; pickle = null; others.Clear(); }
            seeds.Add(new Seed(Path.GetFileName(f), bytes, member, pickle, [.. others]));
        }
        return seeds;
    }

    [Fact]
    public void Two_hundred_thousand_mutated_inputs_end_in_a_result_or_a_PtFormatException()
    {
        var seeds = Seeds();
        Assert.True(seeds.Count >= 40, $"only {seeds.Count} seeds");
        var failures = new ConcurrentBag<(string What, byte[] Input)>();
        var stats = new ConcurrentDictionary<string, int>();
        long done = 0;
        long slowestTicks = 0;
        var sw = Stopwatch.StartNew();
        int workers = Math.Max(2, Environment.ProcessorCount);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var rng = new Random(BaseSeed + w);
            for (int i = w; i < Inputs; i += workers)
            {
                if (!failures.IsEmpty && failures.Count > 20) break;
                var seed = seeds[rng.Next(seeds.Count)];
                byte[] input = rng.Next(10) switch
                {
                    < 5 when seed.Pickle is not null => RebuildZip(seed, Mutate(rng, seed.Pickle, seeds)),
                    < 8 => Mutate(rng, seed.Bytes, seeds),
                    _ => TensorPickle(rng),
                };
                var t0 = Stopwatch.GetTimestamp();
                string? problem = Check(input, stats);
                long ticks = Stopwatch.GetTimestamp() - t0;
                InterlockedMax(ref slowestTicks, ticks);
                if (problem is null && Stopwatch.GetElapsedTime(t0) > MaxPerInput) problem = $"slow: {Stopwatch.GetElapsedTime(t0)}";
                if (problem is not null) failures.Add((problem, input));
                Interlocked.Increment(ref done);
            }
        });
        output.WriteLine($"{done} inputs in {sw.Elapsed.TotalSeconds:F1} s on {workers} workers; slowest input {TimeSpan.FromTicks(slowestTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency).TotalMilliseconds:F0} ms");
        foreach (var kv in stats.OrderBy(k => k.Key)) output.WriteLine($"  {kv.Key}: {kv.Value}");
        if (!failures.IsEmpty)
        {
            var dir = Path.Combine(Path.GetTempPath(), "ptsharp-fuzz-failures-" + Environment.ProcessId);
            Directory.CreateDirectory(dir);
            int n = 0;
            foreach (var (what, input) in failures)
            {
                File.WriteAllBytes(Path.Combine(dir, $"crash-{n++:D3}.bin"), input);
                output.WriteLine($"crash-{n - 1:D3}.bin: {what}");
            }
            Assert.Fail($"{failures.Count} inputs broke the oracle; written to {dir}: {failures.First().What}");
        }
        Assert.True(done >= Inputs, $"only {done} inputs ran");
    }

    [Theory]
    [MemberData(nameof(Regressions))]
    public void Regression_inputs_end_in_a_result_or_a_PtFormatException(string file)
    {
        var problem = Check(File.ReadAllBytes(file), new ConcurrentDictionary<string, int>());
        Assert.Null(problem);
    }

    public static IEnumerable<object[]> Regressions()
    {
        var dir = Path.Combine(RepoPaths.Root, "tests", "PtSharp.Tests", "Attacks", "regressions");
        var files = Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0) yield return [Path.Combine(RepoPaths.Root, "tests", "malicious", "os_system.pt")];
        foreach (var f in files) yield return [f];
    }

    /// <summary>The oracle: null when the input was handled as documented, else what went wrong.</summary>
    internal static string? Check(byte[] input, ConcurrentDictionary<string, int> stats)
    {
        try
        {
            var report = PtScanner.ScanBytes(input, "fuzz");
            stats.AddOrUpdate("scan:" + report.Container, 1, (_, v) => v + 1);
        }
        catch (Exception e) { return $"scanner threw {e.GetType().FullName}: {e.Message}\n{e.StackTrace}"; }

        PtFile file;
        try { file = PtFile.Load(input); }
        catch (PtFormatException e) { stats.AddOrUpdate("load:" + e.Kind, 1, (_, v) => v + 1); return null; }
        catch (Exception e) { return $"load threw {e.GetType().FullName}: {e.Message}\n{e.StackTrace}"; }
        using (file)
        {
            stats.AddOrUpdate("load:ok", 1, (_, v) => v + 1);
            IReadOnlyList<NamedTensor> tensors;
            try { tensors = TensorAccessors.Walk(file); }
            catch (PtFormatException) { return null; }
            catch (Exception e) { return $"walk threw {e.GetType().FullName}: {e.Message}\n{e.StackTrace}"; }
            foreach (var named in tensors.Take(64))
            {
                try { TensorAccessors.Exercise(named.Tensor); }
                catch (Exception e) when (TensorAccessors.IsDocumented(e)) { }
                catch (Exception e) { return $"tensor {named.Name} threw {e.GetType().FullName}: {e.Message}\n{e.StackTrace}"; }
            }
        }
        return null;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    private static byte[] RebuildZip(Seed seed, byte[] pickle)
    {
        var z = new ZipBuilder().Add(seed.PickleMember!, pickle);
        foreach (var (name, data) in seed.Others) z.Add(name, data);
        return z.Build();
    }

    private static byte[] Mutate(Random rng, byte[] source, IReadOnlyList<Seed> seeds)
    {
        var b = new List<byte>(source);
        int rounds = 1 + rng.Next(rng.Next(2) == 0 ? 2 : 8);
        for (int r = 0; r < rounds; r++)
        {
            if (b.Count == 0) { b.Add((byte)rng.Next(256)); continue; }
            int at = rng.Next(b.Count);
            switch (rng.Next(9))
            {
                case 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[at] = (byte)rng.Next(256); break;
                case 2: b[at] = new byte[] { 0, 1, 0x7F, 0x80, 0xFF, 0x2E, 0x28 }[rng.Next(7)]; break;
                case 3: b.InsertRange(at, Dictionary[rng.Next(Dictionary.Length)]); break;
                case 4: { var tok = Dictionary[rng.Next(Dictionary.Length)]; for (int i = 0; i < tok.Length && at + i < b.Count; i++) b[at + i] = tok[i]; break; }
                case 5: b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.Next(16))); break;
                case 6: { int len = Math.Min(b.Count - at, 1 + rng.Next(64)); b.InsertRange(rng.Next(b.Count), b.GetRange(at, len)); break; }
                case 7: b.RemoveRange(at, b.Count - at); break;
                default:
                    {
                        var other = seeds[rng.Next(seeds.Count)].Bytes;
                        if (other.Length == 0) break;
                        int from = rng.Next(other.Length);
                        b.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + rng.Next(128))).ToArray());
                        break;
                    }
            }
        }
        return [.. b];
    }

    /// <summary>A tensor with random geometry over a random storage: exercises view validation and data access.</summary>
    private static byte[] TensorPickle(Random rng)
    {
        string[] classes = ["FloatStorage", "DoubleStorage", "HalfStorage", "ByteStorage", "LongStorage", "BoolStorage", "QUInt4x2Storage", "ComplexFloatStorage"];
        long Pick() => rng.Next(6) switch
        {
            0 => 0,
            1 => rng.Next(1, 5),
            2 => rng.Next(-3, 3),
            3 => 1L << rng.Next(63),
            4 => long.MaxValue - rng.Next(3),
            _ => rng.Next(0, 64),
        };
        int rank = rng.Next(5);
        var size = new long[rank];
        var stride = new long[rank];
        for (int d = 0; d < rank; d++) { size[d] = Pick(); stride[d] = Pick(); }
        long numel = rng.Next(3) == 0 ? Pick() : rng.Next(0, 64);
        var data = new byte[rng.Next(0, 512)];
        rng.NextBytes(data);
        var p = PickleBuilder.Start(2).EmptyDict().Str("t")
            .Tensor(b => b.StoragePid(classes[rng.Next(classes.Length)], "0", numel), rng.Next(4) == 0 ? Pick() : 0, size, stride)
            .SetItem().Stop();
        return ZipBuilder.MakePt(p.ToArray(), data);
    }
}
