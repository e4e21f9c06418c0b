using System.Text.Json;
using PtSharp.Dcp;
using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Dcp;

/// <summary>
/// Nested state (model + AdamW + counters) written as DCP folders the way torch 2.6's <c>dcp.save</c> writes them:
/// flattened names, <c>planner_data</c> paths, non-tensor values as bytes items (tests/interop/dcp_nested.py).
/// </summary>
public sealed class DcpNestedWriteTests(ITestOutputHelper output)
{
    [Fact]
    public void A_model_and_adamw_checkpoint_is_written_as_torch_dcp_save_writes_it()
    {
        if (!Oracle.IsAvailable("2.6"))
        {
            Assert.False(RepoPaths.IsCi, "torch 2.6 oracle is missing under CI");
            output.WriteLine("torch 2.6 oracle not installed; skipped");
            return;
        }
        var work = Directory.CreateTempSubdirectory("ptsharp-dcp-nested-");
        try
        {
            string script = Path.Combine(RepoPaths.Root, "tests", "interop", "dcp_nested.py");
            var made = Oracle.Run("2.6", [script, "make", work.FullName], TimeSpan.FromMinutes(3));
            Assert.True(made.ExitCode == 0, $"dcp_nested.py make failed: {made.Stderr}");
            string source = Path.Combine(work.FullName, "ckpt.pt");
            foreach (int writers in new[] { 1, 3 })
            {
                string folder = Path.Combine(work.FullName, $"ours{writers}.dcp");
                var r = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", source, folder, "--format", "dcp",
                    "--writers", writers.ToString(), "-q");
                Assert.True(r.ExitCode == 0, r.Stderr);
                Assert.DoesNotContain("not written", r.Stderr);
                using var back = DcpCheckpoint.Open(folder);
                var root = back.ToNestedStateDict();
                Assert.Equal(7L, root["epoch"]);
                Assert.Contains(back.Values, v => v.Key == "optim.param_groups.0.lr" && v.Value is double);
                Assert.Equal(["optim", "param_groups", 0L, "betas"], back.Metadata.Paths["optim.param_groups.0.betas"]);
                Assert.Contains(back.Tensors, t => t.Name == "optim.state.0.exp_avg");
            }

            // A stream transform (a DCP extension newer than torch 2.6) is refused by name, not misread.
            string compressed = Path.Combine(work.FullName, "compressed");
            var copied = CliProcess.Run(TimeSpan.FromMinutes(2), "convert", source, compressed, "--format", "dcp",
                "-q");
            Assert.True(copied.ExitCode == 0, copied.Stderr);
            var t = Oracle.Run("2.6", [script, "transform", compressed, "stream.zstd"], TimeSpan.FromMinutes(2));
            Assert.True(t.ExitCode == 0, t.Stderr);
            var refused = Assert.Throws<PtFormatException>(() => DcpCheckpoint.Open(compressed).Dispose());
            Assert.Equal(PtErrorKind.Unsupported, refused.Kind);
            Assert.Contains("'stream.zstd'", refused.Message);
            var cli = CliProcess.Run(TimeSpan.FromMinutes(1), "inspect", compressed);
            Assert.Equal(2, cli.ExitCode);
            Assert.Contains("stream.zstd", cli.Stderr);
            Assert.DoesNotContain("   at ", cli.Stderr);

            string results = Path.Combine(work.FullName, "results.json");
            var checkRun = Oracle.Run("2.6", [script, "check", work.FullName, results], TimeSpan.FromMinutes(3));
            Assert.True(checkRun.ExitCode == 0, $"dcp_nested.py check failed: {checkRun.Stderr}");
            var answer = JsonDocument.Parse(File.ReadAllBytes(results)).RootElement;
            int reference = answer.GetProperty("reference_items").GetInt32();
            var list = answer.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(2, list.Count);
            foreach (var res in list)
            {
                var problems = res.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
                string folder = res.GetProperty("folder").GetString()!;
                Assert.True(problems.Count == 0, $"{folder}: {string.Join("; ", problems)}");
                Assert.Equal(reference, res.GetProperty("items").GetInt32());
            }
        }
        finally { work.Delete(recursive: true); }
    }

    [Fact]
    public void Flattening_follows_torch_traverse_state_dict()
    {
        var t = PtTensor.Scalar(1f);
        var state = new PyDict
        {
            { "model", new PyDict { { "fc.weight", t } } },
            { "optim", new PyDict
                {
                    { "state", new PyDict { { 0L, new PyDict { { "step", t } } } } },
                    { "param_groups", new PyList
                        {
                            new PyDict { { "lr", 0.1 }, { "params", new PyList { 0L, 1L } } },
                        } },
                } },
            { "pair", new PyTuple([t, 2L]) },
            { "mixed", new PyList { t, 3L } },
            { "empty", new PyDict() },
            { "flag", true },
        };
        var entries = DcpFlattening.Flatten(state);
        Assert.Equal(["model.fc.weight", "optim.state.0.step", "optim.param_groups.0.lr", "optim.param_groups.0.params",
            "pair", "mixed.0", "mixed.1", "flag"], entries.Select(e => e.Name));
        Assert.Equal(["optim", "state", "0", "step"], entries[1].Path);
        Assert.Equal(["optim", "param_groups", 0L, "params"], entries[3].Path);
        Assert.IsType<PyList>(entries[3].Value); // a list of ints is one value
        Assert.IsType<PyTuple>(entries[4].Value); // a tuple is one value even holding a tensor

        var clash = new PyDict { { "a.b", t }, { "a", new PyDict { { "b", t } } } };
        var e = Assert.Throws<PtWriteException>(() => DcpFlattening.Flatten(clash));
        Assert.Contains("'a.b'", e.Message);
    }
}
