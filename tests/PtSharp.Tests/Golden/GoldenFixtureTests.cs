using System.Text.Json;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using Xunit.Abstractions;

namespace PtSharp.Tests.Golden;

/// <summary>Compares everything PtSharp reads from each torch-written fixture with what torch itself loaded.</summary>
public sealed class GoldenFixtureTests(ITestOutputHelper output)
{
    /// <summary>
    /// Pickled eager-mode quantized modules: torch's <c>state_dict()</c> runs their <c>_save_to_state_dict</c>
    /// overrides, which unpack packed weights and turn Python float attributes (<c>scale</c>, <c>zero_point</c>) into
    /// tensors that do not exist in the file. Without running that code only the tensors the file really holds can
    /// be named; for these files every tensor PtSharp reports must still match torch's entry of the same name.
    /// </summary>
    private static readonly HashSet<string> CodeDefinedStateDicts = ["quant_dynamic_model.pt", "quant_static_model.pt"];

    [Fact]
    public void Fixture_folders_are_present_and_not_empty()
    {
        var cases = GoldenCase.All().ToList();
        Assert.True(cases.Count >= 40, $"expected at least 40 golden fixtures, found {cases.Count}");
    }

    [Theory]
    [MemberData(nameof(GoldenCase.All), MemberType = typeof(GoldenCase))]
    public void Reader_matches_torch(GoldenCase golden)
    {
        var expected = golden.LoadExpected();
        if (expected.TryGetProperty("error", out var error))
        {
            var ex = Assert.ThrowsAny<PtFormatException>(() => PtFile.Open(golden.FixturePath));
            output.WriteLine($"expected error '{error.GetString()}': {ex.Message}");
            return;
        }

        using var file = PtFile.Open(golden.FixturePath);
        var problems = new List<string>();
        void Check(bool ok, string what) { if (!ok) problems.Add(what); }

        Check(file.Format.Name() == expected.GetProperty("format").GetString(), $"format {file.Format.Name()} != {expected.GetProperty("format")}");
        Check(file.Kind.Name() == expected.GetProperty("kind").GetString(), $"kind {file.Kind.Name()} != {expected.GetProperty("kind")}");

        if (expected.TryGetProperty("globals", out var globals))
        {
            var want = globals.EnumerateArray().Select(g => Python2Names(g.GetString()!)).ToHashSet();
            var got = file.Globals.ToHashSet();
            Check(want.SetEquals(got), $"globals differ: missing [{string.Join(", ", want.Except(got))}], extra [{string.Join(", ", got.Except(want))}]");
        }

        var expectedTensors = expected.GetProperty("tensors").EnumerateArray().ToList();
        var names = file.Tensors.Select(t => t.Name).ToList();
        var wantNames = expectedTensors.Select(t => t.GetProperty("name").GetString()!).ToList();
        if (CodeDefinedStateDicts.Contains(Path.GetFileName(golden.FixturePath)))
        {
            var byName = expectedTensors.ToDictionary(t => t.GetProperty("name").GetString()!);
            foreach (var named in file.Tensors)
            {
                if (!byName.TryGetValue(named.Name, out var want)) { problems.Add($"{named.Name}: not a tensor torch reports"); continue; }
                TensorComparer.Compare(named, null, want, file.Format, problems, checkStorageLayout: false);
            }
            foreach (var p in problems) output.WriteLine(p);
            Assert.True(problems.Count == 0, $"{golden}: {problems.Count} differences from torch:\n" + string.Join("\n", problems.Take(30)));
            return;
        }
        Check(names.SequenceEqual(wantNames), $"tensor names differ:\n  got  [{string.Join(", ", names)}]\n  want [{string.Join(", ", wantNames)}]");

        if (expected.TryGetProperty("state_dict_keys", out var sdKeys))
        {
            var tensorNames = wantNames.ToHashSet();
            var want = sdKeys.EnumerateArray().Select(k => k.GetString()!).Where(tensorNames.Contains).ToList();
            var got = file.StateDict.Select(t => t.Name).ToList();
            Check(got.SequenceEqual(want), $"state dict keys differ:\n  got  [{string.Join(", ", got)}]\n  want [{string.Join(", ", want)}]");
        }

        if (names.SequenceEqual(wantNames))
        {
            var groups = StorageGroups(file.Tensors.Select(t => t.Tensor));
            for (int i = 0; i < expectedTensors.Count; i++)
                TensorComparer.Compare(file.Tensors[i], groups[i], expectedTensors[i], file.Format, problems);
        }

        foreach (var p in problems) output.WriteLine(p);
        Assert.True(problems.Count == 0, $"{golden}: {problems.Count} differences from torch:\n" + string.Join("\n", problems.Take(30)));
    }

    /// <summary>The expected globals are spelled as in the file; PtSharp reports them after Python 3's renames.</summary>
    private static string Python2Names(string g)
    {
        int dot = g.LastIndexOf('.');
        var (m, n) = Torch.PythonNames.Normalize(g[..dot], g[(dot + 1)..]);
        return m + "." + n;
    }

    private static List<int?> StorageGroups(IEnumerable<PtTensor> tensors)
    {
        var ids = new Dictionary<PtStorage, int>(ReferenceEqualityComparer.Instance);
        var result = new List<int?>();
        foreach (var t in tensors)
        {
            if (t.IsSparse || t.IsMeta || t.Storage is null || t.Storage.ByteLength == 0) { result.Add(null); continue; }
            if (!ids.TryGetValue(t.Storage, out int id)) ids[t.Storage] = id = ids.Count;
            result.Add(id);
        }
        return result;
    }
}
