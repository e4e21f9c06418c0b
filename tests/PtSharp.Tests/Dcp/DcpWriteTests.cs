using System.Text.Json;
using PtSharp.Dcp;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Dcp;

/// <summary>Folders PtSharp writes, loaded by torch 2.6 with <c>dcp.load</c> and <c>dcp_to_torch_save</c> (one torch process).</summary>
public sealed class DcpWriteTests(ITestOutputHelper output)
{
    /// <summary>A state dict with what a writer must get right: uneven rows, fewer rows than writers, 0-dim, empty, a transposed view, several dtypes.</summary>
    internal static PyDict Sample()
    {
        var rng = new Random(7);
        float[] F(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var square = PtTensor.FromArray(F(12), [3, 4]);
        var transposed = PtTensor.FromStorage(square.Storage!, DType.Float32, [4, 3], [1, 4], 0);
        return new PyDict("collections.OrderedDict")
        {
            { "fc1.weight", PtTensor.FromArray(F(70), [7, 10]) },
            { "fc1.bias", PtTensor.FromArray(F(7), [7]) },
            { "fc2.weight", PtTensor.FromArray(F(2 * 5), [2, 5]) },
            { "emb.weight", PtTensor.FromArray(F(11 * 3 * 2), [11, 3, 2]) },
            { "half", PtTensor.FromArray(Enumerable.Range(0, 9).Select(i => (Half)(i * 0.5)).ToArray(), [9]) },
            { "ids", PtTensor.FromArray(Enumerable.Range(0, 6).Select(i => (long)i * 1_000_000_007).ToArray(), [6]) },
            { "mask", PtTensor.FromArray(new[] { true, false, true, true }, [4]) },
            { "scalar", PtTensor.Scalar(3.25f) },
            { "empty", PtTensor.FromArray(Array.Empty<float>(), [0, 4]) },
            { "transposed", transposed },
        };
    }

    [Fact]
    public void Written_folders_load_in_torch_and_convert_with_dcp_to_torch_save()
    {
        if (!Oracle.IsAvailable("2.6"))
        {
            Assert.False(RepoPaths.IsCi, "torch 2.6 oracle is missing under CI");
            output.WriteLine("torch 2.6 oracle not installed; skipped");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-dcp-write-");
        try
        {
            string source = Path.Combine(work.FullName, "source.pt");
            PtWriter.Save(source, Sample());
            var manifest = new List<Dictionary<string, string>>();
            foreach (int writers in new[] { 1, 3, 4 })
            {
                string folder = Path.Combine(work.FullName, $"w{writers}.dcp");
                var r = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", source, folder, "--writers", writers.ToString(), "-q");
                Assert.True(r.ExitCode == 0, r.Stderr);
                Assert.Equal(writers, Directory.GetFiles(folder, "*.distcp").Length);
                using (var back = DcpCheckpoint.Open(folder))
                using (var src = PtFile.Open(source))
                    DcpReadTests.AssertSameTensors(src.Tensors, back.Tensors);
                manifest.Add(new() { ["folder"] = folder, ["source"] = source, ["key"] = "" });
            }
            // Overwriting an existing DCP folder replaces it whole.
            string again = Path.Combine(work.FullName, "w3.dcp");
            var r2 = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", source, again, "--format", "dcp", "--writers", "2", "-q");
            Assert.True(r2.ExitCode == 0, r2.Stderr);
            Assert.Equal(2, Directory.GetFiles(again, "*.distcp").Length);
            Assert.Empty(Directory.GetDirectories(work.FullName, ".*"));

            string manifestPath = Path.Combine(work.FullName, "manifest.json"), resultsPath = Path.Combine(work.FullName, "results.json");
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
            var (code, stdout, stderr) = Oracle.Run("2.6", [Path.Combine(RepoPaths.Root, "tests", "interop", "dcp_verify.py"), manifestPath, resultsPath], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"dcp_verify.py failed ({code}): {stderr}\n{stdout}");
            var results = JsonDocument.Parse(File.ReadAllBytes(resultsPath)).RootElement.GetProperty("results");
            Assert.Equal(manifest.Count, results.GetArrayLength());
            foreach (var res in results.EnumerateArray())
            {
                var problems = res.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
                Assert.True(problems.Count == 0, $"{res.GetProperty("folder").GetString()}: {string.Join("; ", problems)}");
                Assert.Equal(10, res.GetProperty("tensors").GetInt32());
            }
        }
        finally { work.Delete(recursive: true); }
    }

    [Fact]
    public void Rows_split_as_torch_chunk_splits_them()
    {
        var t = PtTensor.FromArray(new float[70], [7, 10]);
        var rows = Enumerable.Range(0, 4).SelectMany(r => DcpWriter.Split(t, 4, 0, r)).Select(c => (c.Offsets[0], c.Sizes[0])).ToList();
        Assert.Equal([(0L, 2L), (2L, 2L), (4L, 2L), (6L, 1L)], rows);
        var few = PtTensor.FromArray(new float[6], [2, 3]);
        Assert.Single(Enumerable.Range(0, 4).SelectMany(r => DcpWriter.Split(few, 4, 5, r)));
    }
}
