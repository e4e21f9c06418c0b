using System.Globalization;
using System.Text.Json;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Modules;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Modules;

/// <summary>
/// Real torch pickles complete models (torch.nn layers, LSTM/GRU/attention/transformer, torchvision ResNet,
/// MobileNetV2/V3, SqueezeNet, VGG, AlexNet) and lists named_modules() with their hyper-parameters; the registry's
/// description of each file must name the same classes at the same paths in the same order, with the same numbers.
/// One torch process per version writes every model.
/// </summary>
public sealed class ModuleRegistryTests(ModuleRegistryTests.ZooFixture zoo, ITestOutputHelper output)
    : IClassFixture<ModuleRegistryTests.ZooFixture>
{
    /// <summary>The zoo written once per torch version for the whole class.</summary>
    public sealed class ZooFixture : IDisposable
    {
        private readonly Dictionary<string, string> _dirs = [];

        public string Get(string version)
        {
            lock (_dirs)
            {
                if (_dirs.TryGetValue(version, out var dir)) return dir;
                dir = Directory.CreateTempSubdirectory("ptsharp-zoo-").FullName;
                var (code, stdout, stderr) = Oracle.Run(version,
                    [Path.Combine(RepoPaths.Root, "tests", "PtSharp.Tests", "Modules", "module_zoo.py"), dir], TimeSpan.FromMinutes(5));
                Assert.True(code == 0, $"module_zoo.py failed: {stderr}\n{stdout}");
                return _dirs[version] = dir;
            }
        }

        public void Dispose()
        {
            foreach (var d in _dirs.Values) Directory.Delete(d, recursive: true);
        }
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Descriptions_match_torch_named_modules(string version)
    {
        var dir = Zoo(version);
        if (dir is null) return;
        {
            var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "expected.json"))).RootElement;
            int modules = 0;
            foreach (var model in expected.EnumerateObject())
            {
                if (model.Name.StartsWith("user_", StringComparison.Ordinal)) continue;
                using var file = PtFile.Open(Path.Combine(dir, model.Name + ".pt"));
                var spec = ModuleRegistry.Describe(file);
                var ours = Walk(spec, "").ToList();
                var theirs = model.Value.EnumerateArray().ToList();
                Assert.Equal(theirs.Select(m => m.GetProperty("path").GetString()), ours.Select(m => m.Path));
                for (int i = 0; i < theirs.Count; i++)
                {
                    string where = $"{model.Name} '{ours[i].Path}'";
                    Assert.True(theirs[i].GetProperty("cls").GetString() == ours[i].Spec.PythonClass, where);
                    foreach (var attr in theirs[i].GetProperty("attrs").EnumerateObject())
                    {
                        var mine = ModuleAttributeView.Of(ours[i].Spec);
                        Assert.True(mine.ContainsKey(attr.Name), $"{where}: registry has no {attr.Name}");
                        Assert.True(Canon(attr.Value) == Canon(mine[attr.Name]),
                            $"{where}.{attr.Name}: torch {Canon(attr.Value)}, registry {Canon(mine[attr.Name])}");
                    }
                    modules++;
                }
            }
            output.WriteLine($"{modules} modules of {expected.EnumerateObject().Count()} models matched torch {version}");
            Assert.True(modules > 300, $"only {modules} modules compared");
        }
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void User_modules_are_named_in_one_line_that_points_to_LoadPt(string version)
    {
        var dir = Zoo(version);
        if (dir is null) return;
        {
            using (var file = PtFile.Open(Path.Combine(dir, "user_net.pt")))
            {
                var e = Assert.Throws<UnsupportedModuleException>(() => ModuleRegistry.Describe(file));
                Assert.Equal("__main__.Net", e.PythonClass);
                Assert.Equal("", e.ModulePath);
                Assert.Contains("__main__.Net", e.Message);
                Assert.Contains("LoadPt", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
            using (var file = PtFile.Open(Path.Combine(dir, "user_inside.pt")))
            {
                var e = Assert.Throws<UnsupportedModuleException>(() => ModuleRegistry.Describe(file));
                Assert.Equal("1.1", e.ModulePath);
                Assert.Contains("'1.1'", e.Message);
            }
        }
    }

    [Fact]
    public void A_state_dict_is_not_a_model()
    {
        using var file = PtFile.Open(Path.Combine(RepoPaths.Fixtures, "torch-2.6", "mlp_state_dict.pt"));
        var e = Assert.Throws<PtFormatException>(() => ModuleRegistry.Describe(file));
        Assert.Contains("not a complete pickled model", e.Message);
    }

    private string? Zoo(string version)
    {
        if (!Oracle.IsAvailable(version))
        {
            Assert.False(RepoPaths.IsCi, $"torch {version} oracle is missing under CI");
            output.WriteLine($"torch {version} oracle not installed; skipped");
            return null;
        }
        return zoo.Get(version);
    }

    private static IEnumerable<(string Path, ModuleSpec Spec)> Walk(ModuleSpec spec, string path)
    {
        yield return (path, spec);
        foreach (var child in spec.Children)
            foreach (var x in Walk(child.Value, path.Length == 0 ? child.Key : path + "." + child.Key))
                yield return x;
    }

    private static string Canon(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.String => "'" + e.GetString() + "'",
        JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Canon)) + "]",
        _ => e.ToString(),
    };

    private static string Canon(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => "'" + s + "'",
        long l => ((double)l).ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list => "[" + string.Join(",", list.Cast<object?>().Select(Canon)) + "]",
        _ => v.ToString()!,
    };
}
