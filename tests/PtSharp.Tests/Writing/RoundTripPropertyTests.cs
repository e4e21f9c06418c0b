using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;
using Xunit.Abstractions;

namespace PtSharp.Tests.Writing;

/// <summary>
/// Property: any state dict or checkpoint built in .NET survives <see cref="PtWriter.Save(string, object?, PtSaveOptions?)"/>
/// → <see cref="PtFile"/> unchanged (see <see cref="TreeComparer"/>), shares storages exactly as the input did with
/// one record per storage, and writing what was read gives the same bytes again.
/// </summary>
public sealed class RoundTripPropertyTests(ITestOutputHelper output)
{
    private const int Iterations = 400;

    public static IEnumerable<object[]> Kinds() => [["state_dict"], ["checkpoint"]];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Random_trees_survive_write_then_read(string kind)
    {
        var dir = Directory.CreateTempSubdirectory("ptsharp-prop-");
        int tensors = 0, storages = 0, viaFile = 0;
        var dtypes = new HashSet<DType>();
        try
        {
            for (int seed = 0; seed < Iterations; seed++)
            {
                var gen = new RandomTrees(seed * 7919 + (kind == "checkpoint" ? 1 : 0));
                object? root = kind == "state_dict" ? gen.StateDict() : gen.Checkpoint();
                string archive = $"case_{seed}";
                byte[] written;
                PtFile file;
                if (seed % 20 == 0)
                {
                    // through the file system: temp file + rename, then a memory-mapped open
                    string path = Path.Combine(dir.FullName, archive + ".pt");
                    PtWriter.Save(path, root);
                    written = File.ReadAllBytes(path);
                    file = PtFile.Open(path);
                    viaFile++;
                }
                else
                {
                    var ms = new MemoryStream();
                    PtWriter.Save(ms, root, new PtSaveOptions { ArchiveName = archive });
                    written = ms.ToArray();
                    file = PtFile.Load(written);
                }
                using (file)
                {
                    var cmp = new TreeComparer();
                    cmp.Compare(root, file.Root);
                    Assert.True(cmp.Problems.Count == 0, $"seed {seed} ({kind}): {string.Join("\n", cmp.Problems)}");
                    Assert.Equal(PtFormat.Zip, file.Format);
                    Assert.Equal(archive, file.ArchiveName);

                    // one data/<key> record per distinct input storage, keys 0..n-1, each read back as its own storage
                    var records = file.Entries.Where(e => e.Name.StartsWith(archive + "/data/", StringComparison.Ordinal)).Select(e => e.Name).ToList();
                    Assert.Equal(cmp.InputStorages.Count, records.Count);
                    Assert.Equal(Enumerable.Range(0, records.Count).Select(i => $"{archive}/data/{i}"), records);
                    Assert.Equal(records.Count, cmp.OutputStorages.Select(s => s.Record).Distinct().Count());
                    foreach (var e in file.Entries) Assert.True(e.Method == 0 && e.DataOffset % 64 == 0, $"seed {seed}: {e.Name} stored={e.Method == 0} at {e.DataOffset}");

                    if (kind == "state_dict")
                        Assert.Equal(((PyDict)root!).Keys.Cast<string>(), file.StateDict.Select(t => t.Name));

                    // write(read(write(x))) == write(x): nothing read back is lost or changed on a second save. The one
                    // exception: () is a singleton when read, so two separate empty tuples come back as one object,
                    // and the second save memoizes it (BINGET) where the first wrote EMPTY_TUPLE twice.
                    var again = new MemoryStream();
                    PtWriter.Save(again, file.Root, new PtSaveOptions { ArchiveName = archive });
                    if (EmptyTuples(root, new(ReferenceEqualityComparer.Instance)) < 2)
                        Assert.True(again.ToArray().AsSpan().SequenceEqual(written), $"seed {seed} ({kind}): re-saving what was read gives different bytes");
                    else
                    {
                        using var second = PtFile.Load(again.ToArray());
                        var third = new MemoryStream();
                        PtWriter.Save(third, second.Root, new PtSaveOptions { ArchiveName = archive });
                        Assert.True(third.ToArray().AsSpan().SequenceEqual(again.ToArray()), $"seed {seed} ({kind}): saving is not idempotent");
                    }

                    tensors += cmp.TensorCount;
                    storages += cmp.InputStorages.Count;
                    foreach (var t in file.Tensors) dtypes.Add(t.Tensor.DType);
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        output.WriteLine($"{Iterations} {kind} trees ({viaFile} through files): {tensors} tensors over {storages} storages, {dtypes.Count} dtypes");
        Assert.Equal(RandomTrees.TensorDTypes.Length, dtypes.Count);
    }

    private static int EmptyTuples(object? o, HashSet<object> seen)
    {
        if (o is null || o is string || !seen.Add(o)) return 0;
        return o switch
        {
            PyTuple { Count: 0 } => 1,
            PyTuple t => t.Sum(x => EmptyTuples(x, seen)),
            PyList l => l.Sum(x => EmptyTuples(x, seen)),
            PyDict d => d.Sum(kv => EmptyTuples(kv.Key, seen) + EmptyTuples(kv.Value, seen)) + EmptyTuples(d.Attributes, seen),
            _ => 0,
        };
    }

    [Fact]
    public void Edge_tensors_survive_write_then_read()
    {
        var storage = RandomTrees.Create(Enumerable.Range(0, 48).Select(i => (byte)i).ToArray(), [12], DType.Float32);
        var half = PtTensor.FromArray([(Half)1.5, Half.NaN, Half.PositiveInfinity, Half.Epsilon], [2, 2]);
        var root = new PyDict("collections.OrderedDict")
        {
            { "scalar", PtTensor.Scalar(3.25) },
            { "scalar_view", storage.View([], [], 11) },
            { "empty_0x3", PtTensor.FromArray(Array.Empty<float>(), [0, 3]) },
            { "empty_view_offset", storage.View([3, 0], [0, 1], 12) },
            { "broadcast", storage.View([4, 3], [0, 1], 2) },
            { "transposed", storage.View([3, 4], [1, 3], 0) },
            { "offset_view", storage.View([2, 2], [4, 1], 5) },
            { "whole", storage },
            { "tied", storage.Detach() },
            { "half", half },
            { "bf16", PtTensor.FromArray(new ushort[] { 0x3FC0, 0x7FC0, 0xFF80, 0x0001 }, [4], DType.BFloat16) },
            { "rank8", PtTensor.FromArray(new long[] { 7 }, [1, 1, 1, 1, 1, 1, 1, 1]) },
        };
        var ms = new MemoryStream();
        PtWriter.Save(ms, root);
        using var file = PtFile.Load(ms.ToArray());
        var cmp = new TreeComparer();
        cmp.Compare(root, file.Root);
        Assert.True(cmp.Problems.Count == 0, string.Join("\n", cmp.Problems));
        Assert.Equal(6, file.Entries.Count(e => e.Name.Contains("/data/", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_comparer_sees_untied_storages_changed_views_and_changed_values()
    {
        var a = PtTensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var tied = new PyDict { { "a", a }, { "b", a.Detach() } };
        var untied = new PyDict { { "a", a }, { "b", PtTensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]) } };
        Assert.Contains(Problems(tied, untied), p => p.Contains("do not share", StringComparison.Ordinal));
        Assert.Contains(Problems(untied, tied), p => p.Contains("share one", StringComparison.Ordinal));
        Assert.Contains(Problems(new PyDict { { "a", a } }, new PyDict { { "a", a.View([2, 2], [1, 2], 0) } }), p => p.Contains("stride", StringComparison.Ordinal));
        Assert.Contains(Problems(new PyDict { { "a", a } }, new PyDict { { "a", PtTensor.FromArray(new float[] { 1, 2, 3, 5 }, [2, 2]) } }), p => p.Contains("bytes", StringComparison.Ordinal));
        Assert.Contains(Problems(new PyDict { { "x", double.NaN } }, new PyDict { { "x", BitConverter.Int64BitsToDouble(0x7FF8000000000001) } }), p => p.Contains("became", StringComparison.Ordinal));
        Assert.Contains(Problems(new PyList { 1L, 2L }, new PyList { 2L, 1L }), p => p.Contains("became", StringComparison.Ordinal));
        Assert.Empty(Problems(tied, new PyDict { { "a", a }, { "b", a.Detach() } }));

        static List<string> Problems(object expected, object actual)
        {
            var cmp = new TreeComparer();
            cmp.Compare(expected, actual);
            return cmp.Problems;
        }
    }
}
