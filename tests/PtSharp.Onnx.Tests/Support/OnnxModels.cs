using System.Text.Json;

namespace PtSharp.Onnx.Tests.Support;

/// <summary>
/// Once per test run: the oracle script writes the models with torch 2.6 and torch 1.13 (random weights): TorchScript
/// archives, complete pickled models and state dicts. PtSharp converts every one, and one torch 2.6 process checks
/// every produced ONNX file (onnx.checker full_check, onnxruntime vs torch's forward of the original). Tests then
/// assert on the answers.
/// </summary>
public sealed class OnnxModels : IDisposable
{
    /// <summary>TorchScript archives (torch.jit.trace / torch.jit.script).</summary>
    public static readonly string[] Models =
    [
        "small_cnn", "tiny_net", "mlp", "resnet18", "mobilenet_v2", "mobilenet_v3_small", "transformer_layer",
        "op_zoo",
    ];

    /// <summary>Graph sources without code: torch.save(model) and state dicts converted with --arch.</summary>
    public static readonly string[] ModuleModels =
    [
        "resnet18_pickled", "squeezenet1_1_pickled", "mlp_pickled", "resnet18_state_dict", "squeezenet1_1_state_dict",
    ];

    public OnnxModels()
    {
        Dir = Path.Combine(Path.GetTempPath(), "ptsharp-onnx-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        // No separate availability probe: each `import torch` costs seconds; a failing run means a missing oracle.
        foreach (var v in new[] { "2.6", "1.13" })
        {
            var (code, _, err) = Oracle.Run(v, [Script("onnx_models.py"), Path.Combine(Dir, v)],
                TimeSpan.FromMinutes(5));
            if (code == 0) Versions.Add(v);
            else if (err.Contains("oracle missing", StringComparison.Ordinal)
                || err.Contains("No such file", StringComparison.Ordinal)) continue;
            else Assert.Fail($"onnx_models.py under torch {v} failed: {err}");
        }
        Available = Versions.Contains("2.6");
        if (!Available) return;
        var cases = new List<object>();
        foreach (var v in Versions)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, v, "models.json")));
            foreach (var name in Models)
            {
                if (!doc.RootElement.GetProperty("models").TryGetProperty(name, out var m)) continue;
                var shapes = ShapesOf(m);
                Shapes[(v, name)] = shapes;
                string pt = Pt(v, name), onnx = Onnx(v, name);
                Converted[(v, name)] = OnnxConverter.Convert(pt, onnx,
                    new OnnxConvertOptions { Inputs = Specs(shapes) });
                cases.Add(Case($"{v}/{name}", pt, onnx, shapes));
            }
            foreach (var p in doc.RootElement.GetProperty("modules").EnumerateObject())
            {
                Modules[(v, p.Name)] = p.Value.Clone();
                if (!ModuleModels.Contains(p.Name)) continue;
                cases.Add(ModuleCase(v, p.Name, p.Value));
            }
        }
        if (Versions.Contains("2.6")) cases.AddRange(ExtraCases());
        string request = Path.Combine(Dir, "request.json"), answer = Path.Combine(Dir, "answer.json");
        File.WriteAllText(request, JsonSerializer.Serialize(new { cases, @out = answer }));
        var (rc, _, stderr) = Oracle.Run("2.6", [Script("onnx_check.py"), request], TimeSpan.FromMinutes(5));
        Assert.True(rc == 0, "onnx_check.py failed: " + stderr);
        using var results = JsonDocument.Parse(File.ReadAllText(answer));
        foreach (var p in results.RootElement.EnumerateObject()) Results[p.Name] = p.Value.Clone();
    }

    /// <summary>
    /// A pickled model (graph from the known forward) or a state dict (graph from --arch), converted by the library;
    /// the oracle loads the original with torch.load / torchvision and also compares with the writing torch's output.
    /// </summary>
    private object ModuleCase(string v, string name, JsonElement m)
    {
        var shapes = ShapesOf(m);
        Shapes[(v, name)] = shapes;
        string? arch = m.TryGetProperty("arch", out var a) ? a.GetString() : null;
        string pt = Pt(v, name), onnx = Onnx(v, name);
        Converted[(v, name)] = OnnxConverter.Convert(pt, onnx,
            new OnnxConvertOptions { Inputs = Specs(shapes), Architecture = arch });
        return new
        {
            name = $"{v}/{name}", pt, onnx, inputs = shapes, seed = 1, fp16 = false,
            load = m.GetProperty("load").GetString(), arch,
            num_classes = m.TryGetProperty("num_classes", out var n) ? n.GetInt64() : 0,
            @ref = Path.Combine(Dir, v, name),
        };
    }

    private static List<long[]> ShapesOf(JsonElement m) => m.GetProperty("inputs").EnumerateArray()
        .Select(s => s.EnumerateArray().Select(d => d.GetInt64()).ToArray()).ToList();

    private static List<OnnxInputSpec> Specs(IEnumerable<long[]> shapes) =>
        shapes.Select(s => new OnnxInputSpec(s)).ToList();

    /// <summary>
    /// Dynamic batch (converted at batch 1/2, checked at 3), fp16, and --like on torch.onnx.export's resnet18.
    /// </summary>
    private IEnumerable<object> ExtraCases()
    {
        string d26 = Path.Combine(Dir, "2.6");
        foreach (var (name, shape, checkShape) in new[]
                 {
                     ("resnet18", new long[] { 1, 3, 64, 64 }, new long[] { 3, 3, 64, 64 }),
                     ("transformer_layer", new long[] { 2, 5, 32 }, new long[] { 3, 5, 32 }),
                 })
        {
            string onnx = Path.Combine(d26, name + ".dynamic.onnx");
            OnnxConverter.Convert(Pt("2.6", name), onnx,
                new OnnxConvertOptions { Inputs = [new OnnxInputSpec(shape)], DynamicBatch = true });
            yield return Case("dynamic/" + name, Pt("2.6", name), onnx, [checkShape]);
        }
        foreach (var name in new[] { "small_cnn", "resnet18" })
        {
            string onnx = Path.Combine(d26, name + ".fp16.onnx");
            OnnxConverter.Convert(Pt("2.6", name), onnx,
                new OnnxConvertOptions { Inputs = Specs(Shapes[("2.6", name)]), Fp16 = true });
            yield return Case("fp16/" + name, Pt("2.6", name), onnx, Shapes[("2.6", name)], fp16: true);
        }
        // The real CLI process: pt convert retrained.pt out.onnx --like torch_export.onnx
        string liked = Path.Combine(d26, "resnet18_liked.onnx");
        LikeRun = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", Path.Combine(d26, "resnet18_retrained.pt"), liked,
            "--like", Path.Combine(d26, "resnet18_export.onnx"));
        if (LikeRun.ExitCode == 0)
            yield return Case("like/resnet18", Path.Combine(d26, "resnet18_retrained_ts.pt"), liked, [[1, 3, 64, 64]]);
        string external = Path.Combine(d26, "mlp.external.onnx");
        OnnxConverter.Convert(Pt("2.6", "mlp"), external,
            new OnnxConvertOptions { Inputs = [new OnnxInputSpec([4, 16])], ExternalDataThreshold = 1 });
        yield return Case("external/mlp", Pt("2.6", "mlp"), external, [[4, 16]]);
        // The real CLI process on a state dict with --arch and no --input-shape (torchvision's 1x3x224x224).
        string archOut = Path.Combine(d26, "resnet18_state_dict.cli.onnx");
        ArchRun = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", Pt("2.6", "resnet18_state_dict"), archOut,
            "--arch", "resnet18");
        if (ArchRun.ExitCode == 0)
            yield return new
            {
                name = "cli/resnet18_state_dict", pt = Pt("2.6", "resnet18_state_dict"), onnx = archOut,
                inputs = new[] { new long[] { 1, 3, 224, 224 } }, seed = 1, fp16 = false, load = "state_dict",
                arch = "resnet18", num_classes = 10L,
            };
    }

    private static object Case(string name, string pt, string onnx, IEnumerable<long[]> inputs, bool fp16 = false)
        => new { name, pt, onnx, inputs, seed = 1, fp16 };

    private static string Script(string name) =>
        Path.Combine(RepoPaths.Root, "tests", "PtSharp.Onnx.Tests", "Oracle", name);

    public string Dir { get; }
    public bool Available { get; }
    public List<string> Versions { get; } = [];
    public Dictionary<(string, string), List<long[]>> Shapes { get; } = [];
    public Dictionary<(string, string), OnnxConversionResult> Converted { get; } = [];
    /// <summary>The "modules" entries of each version's models.json (pickled models, state dicts, error_*).</summary>
    public Dictionary<(string, string), JsonElement> Modules { get; } = [];
    public Dictionary<string, JsonElement> Results { get; } = new(StringComparer.Ordinal);
    internal CliProcess.Result? LikeRun { get; private set; }
    internal CliProcess.Result? ArchRun { get; private set; }

    public string Pt(string version, string name) => Path.Combine(Dir, version, name + ".pt");
    public string Onnx(string version, string name) => Path.Combine(Dir, version, name + ".onnx");

    /// <summary>True (the test returns) when the torch 2.6 oracle is missing; under CI that is a failure.</summary>
    public bool OracleMissing()
    {
        Assert.False(!Available && RepoPaths.IsCi,
            "the torch 2.6 oracle is missing under CI (sudo bash tools/setup-oracles.sh)");
        return !Available;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(nameof(OnnxModels))]
public sealed class OnnxModelsCollection : ICollectionFixture<OnnxModels>;
