using System.Text.Json;
using PtSharp.Conversion;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Loading;

/// <summary>
/// The <c>_metadata</c> of every state-dict view is the one torch gives (<c>torch.jit.load(f).state_dict()</c>,
/// <c>module.state_dict()</c>, a saved state dict's own), and <c>pt convert --state-dict</c> writes it.
/// </summary>
public sealed class StateDictMetadataTests(ITestOutputHelper output)
{
    private static readonly (string Fixture, string How)[] Cases =
    [
        ("torchscript_traced.pt", "jit"),
        ("torchscript_scripted.pt", "jit"),
        ("full_model_user.pt", "module"),
        ("full_model_torchvision_basicblock.pt", "module"),
        ("cnn_bn_state_dict.pt", "state_dict"),
        ("checkpoint_adam.pt", "entry:model_state_dict"),
    ];

    // Pickled quantized models: classes whose _version is 3 (quantized Linear, its packed params) or 4 (dynamic
    // Linear) and 2 (dynamic LSTM). Only the metadata is compared: the converter writes packed params as it reads
    // them, which is not what this test is about.
    private static readonly string[] MetadataOnlyCases = ["quant_dynamic_model.pt", "quant_static_model.pt"];

    [Fact]
    public void TorchScript_state_dict_has_one_version_1_entry_per_module_in_state_dict_order()
    {
        // torch 1.13: torch.jit.load(torchscript_traced.pt).state_dict()._metadata
        using var file = PtFile.Open(Path.Combine(RepoPaths.Fixtures, "torch-1.13", "torchscript_traced.pt"));
        var metadata = file.StateDict.Metadata!;
        Assert.Equal(["", "child", "child.lin", "bn"], metadata.Keys.Cast<string>());
        Assert.All(metadata.Values, v => Assert.Equal(1L, ((PyDict)v!)["version"]));
        using var checkpoint = Checkpoint.Open(file.Path!);
        Assert.Equal(metadata.Keys, checkpoint.StateDict.Metadata!.Keys);
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Quantized_modules_report_the_versions_their_torch_classes_declare(string version)
    {
        // torch/ao/nn/quantized/dynamic/modules/linear.py: _version = 4; its LinearPackedParams: 3;
        // dynamic/modules/rnn.py RNNBase: 2. torch.load(f).state_dict()._metadata says the same (interop test below).
        using var file = PtFile.Open(Path.Combine(RepoPaths.Fixtures, "torch-" + version, "quant_dynamic_model.pt"));
        var metadata = file.StateDict.Metadata!;
        long Version(string prefix) => (long)((PyDict)metadata[prefix]!)["version"]!;
        Assert.Equal(1L, Version(""));
        Assert.Equal(4L, Version("fc"));
        Assert.Equal(3L, Version("fc._packed_params"));
        Assert.Equal(2L, Version("lstm"));
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Converted_state_dicts_carry_the_metadata_torch_gives(string version)
    {
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-metadata-");
        try
        {
            var manifest = new List<Dictionary<string, object?>>();
            foreach (var (fixture, how) in Cases)
            {
                string source = Path.Combine(RepoPaths.Fixtures, "torch-" + version, fixture);
                string written = Path.Combine(work.FullName, $"{manifest.Count}_{fixture}");
                CheckpointConverter.Convert(source, written, new ConvertOptions { StateDictOnly = true });
                using var checkpoint = Checkpoint.Open(source);
                manifest.Add(new()
                {
                    ["source"] = source, ["how"] = how, ["written"] = written,
                    ["ours"] = ToJson(checkpoint.StateDict.Metadata),
                });
            }
            foreach (string fixture in MetadataOnlyCases)
            {
                string source = Path.Combine(RepoPaths.Fixtures, "torch-" + version, fixture);
                using var checkpoint = Checkpoint.Open(source);
                manifest.Add(new()
                {
                    ["source"] = source, ["how"] = "module", ["written"] = null,
                    ["ours"] = ToJson(checkpoint.StateDict.Metadata),
                });
            }
            string manifestPath = Path.Combine(work.FullName, "manifest.json");
            string resultsPath = Path.Combine(work.FullName, "results.json");
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest));
            var (code, stdout, stderr) = Oracle.Run(version,
                [Path.Combine(RepoPaths.Root, "tests", "interop", "verify_state_dict_metadata.py"), manifestPath, resultsPath],
                TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"verify_state_dict_metadata.py failed ({code}): {stderr}\n{stdout}");
            var results = JsonDocument.Parse(File.ReadAllBytes(resultsPath)).RootElement.GetProperty("results");
            Assert.Equal(Cases.Length + MetadataOnlyCases.Length, results.GetArrayLength());
            var failures = results.EnumerateArray()
                .SelectMany(r => r.GetProperty("problems").EnumerateArray().Select(p => $"{r.GetProperty("source")}: {p}"))
                .ToList();
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static Dictionary<string, Dictionary<string, long>>? ToJson(PyDict? metadata) =>
        metadata?.ToDictionary(kv => (string)kv.Key!,
            kv => ((PyDict)kv.Value!).ToDictionary(e => (string)e.Key!, e => (long)e.Value!));
}
