using System.Diagnostics;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Safety of writes: a writer killed mid-file (a real <c>pt convert</c> process, SIGKILL) or failing part-way leaves
/// the previous file byte-identical and nothing partial under the target name; a value that cannot be written is a
/// <see cref="PtWriteException"/> before any byte is written (no temp file either).
/// </summary>
public sealed class AtomicSaveTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-atomic-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathFor(string name) => Path.Combine(_dir.FullName, name);

    private static PyDict Previous() => new("collections.OrderedDict")
    {
        { "previous.weight", PtTensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]) },
        { "previous.bias", PtTensor.FromArray(new float[] { -1, -2 }, [2]) },
    };

    private string[] TempFiles(string target) => Directory.GetFiles(_dir.FullName, $".{Path.GetFileName(target)}.*.tmp");

    /// <summary>~400 MB: 25 float32 tensors of 4 Mi elements with distinct contents.</summary>
    private static void MakeLargeSource(string path)
    {
        var sd = new PyDict("collections.OrderedDict");
        for (int i = 0; i < 25; i++)
        {
            var data = GC.AllocateUninitializedArray<float>(4 << 20);
            data.AsSpan().Fill(i + 0.5f);
            data[i] = -i;
            sd.Set($"layers.{i}.weight", PtTensor.FromArray(data, [1024, 4096]));
        }
        PtWriter.Save(path, sd);
    }

    [Fact]
    public void Killing_pt_convert_mid_write_leaves_the_previous_file_untouched()
    {
        string source = PathFor("source.pt");
        string target = PathFor("model.pt");
        MakeLargeSource(source);
        long sourceLength = new FileInfo(source).Length;
        Assert.True(sourceLength > 400_000_000, $"source is {sourceLength} bytes");
        PtWriter.Save(target, Previous());
        byte[] previous = File.ReadAllBytes(target);
        GC.Collect();

        long grownTo = 0;
        using (var p = CliProcess.Start("convert", source, target, "--quiet", "--force"))
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited)
            {
                var temps = TempFiles(target);
                if (temps.Length == 1)
                {
                    long len = new FileInfo(temps[0]).Length;
                    if (len >= 64L << 20) { grownTo = len; p.Kill(entireProcessTree: true); break; }
                }
                Thread.Sleep(1);
            }
            Assert.True(p.WaitForExit(30_000), "pt did not exit after the kill");
            Assert.True(grownTo > 0, $"never saw the temp file grow before pt exited (exit code {(p.HasExited ? p.ExitCode : -1)}): {p.StandardError.ReadToEnd()}");
            Assert.NotEqual(0, p.ExitCode);
        }
        output.WriteLine($"killed pt convert with its temp file at {grownTo:N0} of ~{sourceLength:N0} bytes");

        Assert.Equal(previous, File.ReadAllBytes(target));
        using (var f = PtFile.Open(target))
            Assert.Equal(["previous.weight", "previous.bias"], f.StateDict.Select(t => t.Name));
        // the partial file exists only under a hidden temp name, never under the target's name
        var leftovers = TempFiles(target);
        Assert.Single(leftovers);
        Assert.True(new FileInfo(leftovers[0]).Length < sourceLength);
        Assert.Equal([".", "model.pt", "source.pt"], Directory.GetFiles(_dir.FullName).Select(Path.GetFileName)
            .Select(n => n!.StartsWith(".model.pt.", StringComparison.Ordinal) ? "." : n).Order(StringComparer.Ordinal));

        // a later run completes, replaces the target, and leaves no temp file of its own
        using (var p = CliProcess.Start("convert", source, target, "--quiet", "--force"))
        {
            Assert.True(p.WaitForExit(120_000), "pt convert did not finish");
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }
        Assert.Equal(leftovers, TempFiles(target));
        using (var f = PtFile.Open(target))
        {
            Assert.Equal(25, f.Tensors.Count);
            Assert.Equal(-24f, f.Tensors[24].Tensor.AsSpan<float>()[24]);
        }
    }

    public static IEnumerable<object[]> Unwritable() =>
    [
        ["extent past the storage"], ["storage viewed as two dtypes"], ["storage without data"], ["unsupported .NET value"],
        ["tuple containing itself"], ["nesting deeper than 1000"],
    ];

    private static object? UnwritableRoot(string kind)
    {
        var root = Previous();
        var four = PtTensor.FromArray(new float[] { 1, 2, 3, 4 }, [4]);
        switch (kind)
        {
            case "extent past the storage":
                // FromStorage/View validate their extent, so only an internal constructor can make this tensor
                root.Set("bad", new PtTensor(DType.Float32, [5], [1], 0, four.Storage) { ElementCount = 5 });
                break;
            case "storage viewed as two dtypes":
                root.Set("f", four);
                root.Set("i", PtTensor.FromStorage(four.Storage!, DType.Int32, [4], [1], 0));
                break;
            case "storage without data":
                root.Set("meta", PtTensor.FromStorage(new PtStorage("0", DType.Float32, 16, "cuda:0", null, null, 0, false), DType.Float32, [4], [1], 0));
                break;
            case "unsupported .NET value":
                root.Set("when", DateTime.UnixEpoch);
                break;
            case "tuple containing itself":
                {
                    var items = new object?[1];
                    items[0] = new PyTuple(items);
                    root.Set("t", items[0]);
                    break;
                }
            case "nesting deeper than 1000":
                {
                    var l = new PyList();
                    root.Set("deep", l);
                    for (int i = 0; i < 1100; i++) { var inner = new PyList(); l.Add(inner); l = inner; }
                    break;
                }
        }
        return root;
    }

    [Theory]
    [MemberData(nameof(Unwritable))]
    public void An_unwritable_value_throws_before_writing_and_leaves_the_target_untouched(string kind)
    {
        string target = PathFor("model.pt");
        PtWriter.Save(target, Previous());
        byte[] previous = File.ReadAllBytes(target);
        var e = Assert.Throws<PtWriteException>(() => PtWriter.Save(target, UnwritableRoot(kind)));
        output.WriteLine($"{kind}: {(e.Message.Length > 200 ? e.Message[..200] + "..." : e.Message)}");
        Assert.Equal(previous, File.ReadAllBytes(target));
        Assert.Empty(TempFiles(target));
        Assert.Single(Directory.GetFiles(_dir.FullName));

        // to a stream: nothing written at all
        var ms = new MemoryStream();
        Assert.Throws<PtWriteException>(() => PtWriter.Save(ms, UnwritableRoot(kind)));
        Assert.Equal(0, ms.Length);
    }

    /// <summary>Reports progress after the first chunk, then fails, as a cancelled or crashing caller would.</summary>
    private sealed class FailAfter(long bytes) : IProgress<long>
    {
        public void Report(long value) { if (value >= bytes) throw new IOException("simulated failure mid-write"); }
    }

    [Fact]
    public void A_failure_mid_write_leaves_the_target_untouched_and_removes_the_temp_file()
    {
        string target = PathFor("model.pt");
        PtWriter.Save(target, Previous());
        byte[] previous = File.ReadAllBytes(target);
        var big = PtTensor.FromArray(new float[4 << 20], [4 << 20]);
        var ex = Assert.Throws<IOException>(() => PtWriter.Save(target, new PyDict { { "w", big } }, new PtSaveOptions { ChunkSize = 1 << 20, Progress = new FailAfter(2 << 20) }));
        Assert.Contains("simulated", ex.Message, StringComparison.Ordinal);
        Assert.Equal(previous, File.ReadAllBytes(target));
        Assert.Empty(TempFiles(target));
    }

    [Fact]
    public void A_check_of_the_written_file_runs_before_the_rename_and_a_failed_check_loses_nothing()
    {
        // What pt convert's read-back verification relies on: the check sees the complete temporary file, not the
        // target, and when it fails the previous target stays and the temporary file goes.
        string target = PathFor("model.pt");
        PtWriter.Save(target, Previous());
        byte[] previous = File.ReadAllBytes(target);
        var next = new PyDict("collections.OrderedDict") { { "next.weight", PtTensor.FromArray(new float[] { 9, 8, 7 }, [3]) } };

        string? checkedPath = null;
        var ex = Assert.Throws<PtWriteException>(() => PtWriter.Save(target, next, null, temp =>
        {
            checkedPath = temp;
            Assert.Equal(previous, File.ReadAllBytes(target)); // not replaced yet
            using var back = PtFile.Open(temp);
            Assert.Equal(new float[] { 9, 8, 7 }, back.StateDict.Single().Tensor.ToArray<float>());
            throw new PtWriteException("verification failed: simulated");
        }));
        Assert.Contains("simulated", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(checkedPath);
        Assert.Equal(_dir.FullName, Path.GetDirectoryName(checkedPath));
        Assert.NotEqual(target, checkedPath);
        Assert.Equal(previous, File.ReadAllBytes(target));
        Assert.Empty(TempFiles(target));

        PtWriter.Save(target, next, null, temp => { using var back = PtFile.Open(temp); });
        using var written = PtFile.Open(target);
        Assert.Equal("next.weight", written.StateDict.Single().Name);
        Assert.Empty(TempFiles(target));
    }

    [Fact]
    public void A_missing_folder_is_an_io_error_and_writes_nothing()
    {
        string target = Path.Combine(_dir.FullName, "no", "such", "model.pt");
        Assert.ThrowsAny<IOException>(() => PtWriter.Save(target, Previous()));
        Assert.False(Directory.Exists(Path.Combine(_dir.FullName, "no")));
    }
}
