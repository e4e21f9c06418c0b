using System.Text.Json;
using PtSharp.Conversion;
using PtSharp.Diff;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;
using PtSharp.Tests.Golden;
using PtSharp.Tests.Sharding;
using PtSharp.Tests.Support;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Safetensors;

/// <summary>
/// safetensors and sharded checkpoints against real torch, both ways, in one Python process per oracle
/// (tests/interop/verify_safetensors.py with the committed pure-Python safetensors reader):
/// PtSharp converts golden torch fixtures and a state dict of its own (tied embedding/output, views with offsets,
/// bf16/fp16/fp8, zero-size and 0-dim tensors) to safetensors, 3-shard safetensors, 3-shard .bin and back to .pt,
/// and torch checks every key, dtype, shape, byte and tie; torch makes the same kinds of files (single and 3-shard
/// safetensors, 3-shard .bin) and PtSharp reads them and compares them with torch's own reference .pt.
/// </summary>
public sealed class SafetensorsInteropTests(ITestOutputHelper output)
{
    private static readonly (string Fixture, string? Key, string[] StripPrefix)[] Goldens =
    [
        ("mlp_state_dict.pt", null, []),
        ("cnn_bn_state_dict.pt", null, []),
        ("views.pt", null, []),
        ("plain_dict_state_dict.pt", null, []),
        ("dataparallel_state_dict.pt", null, ["module."]),
        ("checkpoint_adam.pt", "model_state_dict", []),
        ("conj_neg.pt", null, []),
        ("dtypes.pt", null, []),
        ("dtypes_new.pt", null, []),
        ("legacy_views.pt", null, []),
    ];

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Safetensors_and_shards_agree_with_torch_both_ways(string version)
    {
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped (run tools/setup-oracles.sh)");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-st-interop-");
        try
        {
            string W(string relative)
            {
                string p = Path.Combine(work.FullName, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(p)!);
                return p;
            }
            var cases = new List<Dictionary<string, object?>>();

            // PtSharp's own state dict, saved as a .pt torch loads, then converted every way.
            var model = Model(fp8: version != "1.13");
            string reference = W("cs/reference.pt");
            PtWriter.SaveStateDict(reference, model);
            Convert(reference, W("cs/single/model.safetensors"));
            cases.Add(Case("cs-single", "safetensors", ("file", W("cs/single/model.safetensors")), ("reference", reference)));
            var st3 = Convert(reference, W("cs/st3/model.safetensors"), 5000);
            Assert.Equal(3, st3.Files.Count);
            cases.Add(Case("cs-st3", "sharded-safetensors", ("index", st3.IndexPath), ("reference", reference), ("shards", 3)));
            var bin3 = Convert(reference, W("cs/bin3/pytorch_model.bin"), 5000);
            Assert.Equal(3, bin3.Files.Count);
            cases.Add(Case("cs-bin3", "sharded-pt", ("index", bin3.IndexPath), ("reference", reference), ("shards", 3)));
            Convert(W("cs/single/model.safetensors"), W("cs/back.pt"));
            cases.Add(Case("cs-back", "pt", ("file", W("cs/back.pt")), ("reference", reference), ("tied", new[] { new[] { "embed.weight", "lm_head.weight" } })));
            Convert(st3.IndexPath!, W("cs/back3.pt"));
            cases.Add(Case("cs-back3", "pt", ("file", W("cs/back3.pt")), ("reference", reference), ("tied", new[] { new[] { "embed.weight", "lm_head.weight" } })));

            // Golden torch fixtures of this oracle's version.
            string fixtures = Path.Combine(RepoPaths.Fixtures, $"torch-{version}");
            foreach (var (fixture, key, strip) in Goldens)
            {
                string path = Path.Combine(fixtures, fixture);
                if (!File.Exists(path)) continue;
                var options = new ConvertOptions();
                foreach (var p in strip) options.Keys.StripPrefixes.Add(p);
                var exclude = new List<string>();
                using (var source = StateDictSource.Open(path))
                    foreach (var t in source.Tensors)
                        if (!SafetensorsDTypes.TryFromTorch(t.Tensor.DType, out _) || t.Tensor.IsSparse) exclude.Add(t.Name);
                foreach (var e in exclude) options.Keys.Exclude.Add("^" + System.Text.RegularExpressions.Regex.Escape(e) + "$");
                string outPath = W($"golden/{fixture}.safetensors");
                var report = CheckpointConverter.Convert(path, outPath, options);
                Assert.True(report.Verified);
                var renames = new Dictionary<string, string>();
                foreach (var n in SourceNames(path))
                    if (strip.FirstOrDefault(p => n.StartsWith(p, StringComparison.Ordinal)) is { } prefix) renames[n] = n[prefix.Length..];
                cases.Add(Case("golden-" + fixture, "safetensors", ("file", outPath), ("reference", path), ("reference_key", key), ("exclude", exclude), ("renames", renames)));
            }

            string manifest = W("manifest.json"), results = W("results.json"), gen = Path.Combine(work.FullName, "gen");
            File.WriteAllText(manifest, JsonSerializer.Serialize(new { cases }));
            var (code, stdout, stderr) = Oracle.Run(version, [Path.Combine(RepoPaths.Root, "tests", "interop", "verify_safetensors.py"), manifest, results, gen], TimeSpan.FromMinutes(10));
            Assert.True(code == 0, $"verify_safetensors.py failed ({code}): {stderr}\n{stdout}");

            var failures = new List<string>();
            var root = JsonDocument.Parse(File.ReadAllBytes(results)).RootElement;
            foreach (var r in root.GetProperty("results").EnumerateArray())
            {
                var problems = r.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
                if (problems.Count > 0) failures.Add($"{r.GetProperty("id").GetString()}: {string.Join("; ", problems.Take(6))}");
            }
            output.WriteLine($"torch {root.GetProperty("torch").GetString()} checked {root.GetProperty("results").GetArrayLength()} PtSharp outputs");

            // Files torch made: PtSharp must read them as torch's own reference.pt.
            using var torchRef = PtFile.Open(Path.Combine(gen, "reference.pt"));
            foreach (var made in new[] { "st/model.safetensors", "st_sharded/model.safetensors.index.json", "bin_sharded/pytorch_model.bin.index.json", "st_sharded" })
            {
                using var read = StateDictSource.Open(Path.Combine(gen, made));
                var diff = CheckpointDiff.Compare(torchRef.StateDict, read.Tensors);
                if (!diff.Equal)
                    failures.Add($"torch-made {made}: only torch {string.Join(",", diff.OnlyInA)}; only read {string.Join(",", diff.OnlyInB)}; differ {string.Join(",", diff.Tensors.Where(t => !t.Equal).Select(t => t.Name))}");
                var sd = read.Tensors.ToDictionary(t => t.Name, t => t.Tensor);
                if (!ReferenceEquals(sd["embed.weight"].Storage, sd["lm_head.weight"].Storage)) failures.Add($"torch-made {made}: embed.weight and lm_head.weight are not tied");
                if (made.Contains("sharded", StringComparison.Ordinal) && read.Files.Count != 4) failures.Add($"torch-made {made}: {read.Files.Count} files, expected an index and 3 shards");
                // and convert it onwards without loss
                string onward = W($"onward/{made.Replace('/', '_')}.safetensors");
                CheckpointConverter.Convert(Path.Combine(gen, made), onward, new ConvertOptions());
                using var again = StateDictSource.Open(onward);
                if (!CheckpointDiff.Compare(torchRef.StateDict, again.Tensors).Equal) failures.Add($"torch-made {made}: converting onwards changed values");
            }
            foreach (var f in failures) output.WriteLine(f);
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> SourceNames(string path)
    {
        using var s = StateDictSource.Open(path);
        return s.Tensors.Select(t => t.Name).ToList();
    }

    private static ConvertReport Convert(string input, string output, long? maxShard = null)
    {
        var report = CheckpointConverter.Convert(input, output, new ConvertOptions { MaxShardSize = maxShard });
        Assert.True(report.Verified);
        return report;
    }

    private static Dictionary<string, object?> Case(string id, string kind, params (string Key, object? Value)[] fields)
    {
        var d = new Dictionary<string, object?> { ["id"] = id, ["kind"] = kind };
        foreach (var (k, v) in fields) d[k] = v;
        return d;
    }

    /// <summary>
    /// The sharding test model (tied embedding and output, views with offsets, bf16, a float64 scalar, a zero-size
    /// tensor) plus fp16, bool, int64 and, for torch 2.x, both float8 types.
    /// </summary>
    private static List<NamedTensor> Model(bool fp8)
    {
        var list = ShardingTests.Model();
        list.Insert(3, new("half", PtTensor.FromArray(new[] { (Half)1.5, (Half)(-2), Half.Epsilon, Half.MaxValue }, [2, 2])));
        list.Insert(4, new("count", PtTensor.Scalar(7L)));
        list.Insert(5, new("mask", PtTensor.FromArray(new[] { true, false, true }, [3])));
        if (fp8)
        {
            list.Insert(6, new("fp8.e4m3", PtTensor.FromArray(new byte[] { 0x38, 0x7E, 0x01, 0xB8 }, [4], DType.Float8E4M3FN)));
            list.Insert(7, new("fp8.e5m2", PtTensor.FromArray(new byte[] { 0x3C, 0x7B, 0x7C, 0x01, 0x80, 0xBC }, [2, 3], DType.Float8E5M2)));
        }
        return list;
    }
}
