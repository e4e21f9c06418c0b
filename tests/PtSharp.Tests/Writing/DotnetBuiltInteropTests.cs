using System.Text.Json;
using System.Text.Json.Nodes;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Files built entirely in .NET load in real torch (tests/interop/verify_dotnet_built.py, one Python process per
/// oracle) with exactly the values, dtypes, shapes, strides, offsets, flags, <c>_metadata</c> and storage sharing
/// that were built; Adam and SGD checkpoints resume training (<c>load_state_dict</c> + one <c>step()</c>, checked
/// against the update computed from the loaded state); an archive over 4 GiB loads through its ZIP64 records.
/// </summary>
public sealed class DotnetBuiltInteropTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Dotnet_built_files_load_in_torch_with_the_built_values(string version)
    {
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped (run tools/setup-oracles.sh)");
            return;
        }
        bool v26 = version == "2.6";
        var work = Directory.CreateTempSubdirectory("ptsharp-dotnet-built-");
        try
        {
            var manifest = new JsonArray();
            void Add(string name, object root, string load, string? train = null, ExpectedJson? describer = null)
            {
                string path = Path.Combine(work.FullName, name + ".pt");
                var expected = (describer ?? new ExpectedJson()).Encode(root); // describe before saving: from the input alone
                PtWriter.Save(path, root);
                manifest.Add(new JsonObject { ["path"] = path, ["load"] = load, ["train"] = train, ["expected"] = expected });
            }

            // state dicts load with weights_only=True in both torches; checkpoints hold Python floats, which the
            // 1.13 weights-only unpickler refuses, so there they load with plain torch.load (the files are our own)
            string checkpointLoad = v26 ? "weights_only" : "plain";
            Add("dtypes", DotnetBuiltFiles.DTypesStateDict(torch26: v26), "weights_only");
            if (v26) Add("v3_dtype_parameters", DotnetBuiltFiles.V3Parameters(), "weights_only");
            Add("adam_checkpoint", DotnetBuiltFiles.AdamCheckpoint(), checkpointLoad, "adam");
            Add("sgd_checkpoint", DotnetBuiltFiles.SgdCheckpoint(), checkpointLoad, "sgd");
            var dtypes = v26 ? RandomTrees.TensorDTypes.Where(d => d is not (>= DType.Bits8 and <= DType.Bits4x2) and not DType.Float8E8M0FNU and not DType.Float4E2M1FNx2).ToArray() : RandomTrees.Torch113DTypes;
            for (int seed = 0; seed < 6; seed++)
            {
                var gen = new RandomTrees(1000 + seed, dtypes) { TorchValid = true };
                Add($"random_state_dict_{seed}", gen.StateDict(), "weights_only");
                Add($"random_checkpoint_{seed}", gen.Checkpoint()!, checkpointLoad);
            }

            // over 4 GiB: ZIP64 sizes and offsets (sparse on disk, zero pages in RAM)
            string bigPath = Path.Combine(work.FullName, "zip64_over_4gib.pt");
            long size = (4L << 30) + 64;
            using (var zero = new ZeroPages(size))
            {
                zero.Slice(0, 3).Fill(0xAB);
                zero.Slice(size - 2, 2).Fill(0xCD);
                var big = PtTensor.FromStorage(zero.Storage(), DType.UInt8, [size], [1], 0);
                var root = new PyDict("collections.OrderedDict")
                {
                    { "big", big },
                    { "after", PtTensor.FromArray(new[] { 1.5f, -2f, 3f }, [3]) },
                    { "tail", big.View([2], [1], size - 2) },
                };
                var expected = new ExpectedJson().Encode(root);
                using (var s = new SparseFileStream(bigPath)) PtWriter.Save(s, root, new PtSaveOptions { ArchiveName = "zip64_over_4gib" });
                manifest.Add(new JsonObject { ["path"] = bigPath, ["load"] = "weights_only", ["expected"] = expected, ["big"] = true });
            }

            string manifestPath = Path.Combine(work.FullName, "manifest.json");
            string resultsPath = Path.Combine(work.FullName, "results.json");
            File.WriteAllText(manifestPath, manifest.ToJsonString());
            var (code, stdout, stderr) = Oracle.Run(version,
                [Path.Combine(RepoPaths.Root, "tests", "interop", "verify_dotnet_built.py"), manifestPath, resultsPath], TimeSpan.FromMinutes(15));
            Assert.True(code == 0, $"verify_dotnet_built.py failed ({code}): {stderr}\n{stdout}");

            using var doc = JsonDocument.Parse(File.ReadAllBytes(resultsPath));
            var results = doc.RootElement.GetProperty("results");
            var failures = new List<string>();
            foreach (var r in results.EnumerateArray())
            {
                string name = Path.GetFileName(r.GetProperty("path").GetString()!);
                var problems = r.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
                foreach (var note in r.GetProperty("notes").EnumerateArray()) output.WriteLine($"{name}: {note.GetString()}");
                if (problems.Count > 0) failures.Add($"{name}: {string.Join("; ", problems.Take(8))}");
            }
            output.WriteLine($"{results.GetArrayLength()} .NET-built files checked by torch {doc.RootElement.GetProperty("torch_version").GetString()}");
            Assert.Equal(manifest.Count, results.GetArrayLength());
            Assert.True(failures.Count == 0, $"{failures.Count} of {results.GetArrayLength()} files differ in torch {version}:\n" + string.Join("\n", failures));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
