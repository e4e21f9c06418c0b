using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Pickle;

/// <summary>
/// The one bounded walker every walk over the object tree uses: containers entered once (a second reach is a
/// shared reference), depth and step limits from <see cref="PickleLimits"/>, a typed error naming limit, key path
/// and record. Trees come from real pickle bytes in a real .pt zip.
/// </summary>
public sealed class ObjectWalkTests
{
    /// <summary>{"x": level_n} where each level holds the previous one twice (2^n paths, n + 1 containers).</summary>
    private static PtFile SharedLists(int levels, PickleLimits? limits = null)
    {
        var p = PickleBuilder.Start(2).EmptyDict().Str("x").EmptyList().LongBinPut(0);
        for (uint level = 1; level <= levels; level++)
            p.Pop().Mark().LongBinGet(level - 1).LongBinGet(level - 1).List().LongBinPut(level);
        var bytes = ZipBuilder.MakePt(p.SetItem().Stop().ToArray());
        return PtFile.Load(bytes, new PtLoadOptions { PickleLimits = limits ?? new PickleLimits() });
    }

    private static PtFile Nested(int levels, PickleLimits? limits = null)
    {
        var p = PickleBuilder.Start(2).EmptyDict().Str("model_state_dict").EmptyDict().Str("layer1");
        for (int i = 0; i < levels; i++) p.EmptyList();
        for (int i = 1; i < levels; i++) p.Append();
        var bytes = ZipBuilder.MakePt(p.SetItem().SetItem().Stop().ToArray());
        return PtFile.Load(bytes, new PtLoadOptions { PickleLimits = limits ?? new PickleLimits() });
    }

    [Fact]
    public void A_container_reached_twice_is_reported_as_shared_and_walked_once()
    {
        using var file = SharedLists(60);
        var walk = new ObjectWalk();
        int first = 0, shared = 0;
        walk.Visit(file.Root, (_, value, isShared) =>
        {
            if (value is PyList) { if (isShared) shared++; else first++; }
            return true;
        });
        Assert.Equal(61, first); // 60 levels + the empty bottom list
        Assert.Equal(60, shared); // each level's second reference to the one below
        Assert.True(walk.Steps <= 2 * 61 + 2, $"{walk.Steps} steps");
    }

    [Fact]
    public void Visit_names_the_key_path_of_each_value()
    {
        using var file = SharedLists(2);
        var paths = new List<string>();
        new ObjectWalk().Visit(file.Root, (path, _, _) => { paths.Add(path); return true; });
        Assert.Equal(["", "x", "x.0", "x.0.0", "x.0.1", "x.1"], paths);
    }

    [Fact]
    public void The_depth_limit_comes_from_the_reader_limits_and_names_path_and_record()
    {
        var ex = Assert.Throws<ObjectWalkLimitException>(() =>
        {
            using var file = Nested(50, new PickleLimits { MaxWalkDepth = 20 });
            _ = file.Tensors;
        });
        Assert.Equal(PtErrorKind.LimitExceeded, ex.Kind);
        Assert.Equal("depth", ex.Limit);
        Assert.Contains("more than 20 levels", ex.Message);
        Assert.StartsWith("model_state_dict.layer1.0.0.0", ex.Path);
        Assert.Equal("archive/data.pkl", ex.Record);
        Assert.Contains("archive/data.pkl", ex.Message);
    }

    [Fact]
    public void The_default_depth_limit_is_the_reader_default()
    {
        var ex = Assert.Throws<ObjectWalkLimitException>(() =>
        {
            using var file = Nested(5000);
            _ = file.Tensors;
        });
        Assert.Contains($"more than {new PickleLimits().MaxWalkDepth} levels", ex.Message);
        Assert.True(ex.Message.Length < 300, ex.Message); // the path is shortened: one readable line
    }

    [Fact]
    public void The_step_limit_comes_from_the_reader_limits()
    {
        // 2 million references to one dict: each reference is a step; the dict is entered once.
        var p = PickleBuilder.Start(2).EmptyDict().Str("x").EmptyDict().Str("k").BinInt1(1).SetItem().BinPut(0)
            .Pop().EmptyList();
        for (int chunk = 0; chunk < 2000; chunk++)
        {
            p.Mark();
            for (int i = 0; i < 1000; i++) p.BinGet(0);
            p.Appends();
        }
        var bytes = ZipBuilder.MakePt(p.SetItem().Stop().ToArray());
        using (var file = PtFile.Load(bytes))
        {
            long before = ObjectWalk.StepsOnThisThread;
            Assert.Empty(file.Tensors);
            long steps = ObjectWalk.StepsOnThisThread - before;
            Assert.InRange(steps, 2_000_000, 2_000_010);
        }
        var ex = Assert.Throws<ObjectWalkLimitException>(() =>
        {
            using var file = PtFile.Load(bytes, new PtLoadOptions { PickleLimits = new() { MaxWalkSteps = 1000 } });
            _ = file.Tensors;
        });
        Assert.Equal("steps", ex.Limit);
        Assert.Contains("more than 1000 steps", ex.Message);
        Assert.StartsWith("x.", ex.Path);
    }

    [Fact]
    public void Results_are_kept_per_container()
    {
        var walk = new ObjectWalk();
        var list = new PyList();
        Assert.False(walk.TryGetResult(list, out _));
        walk.SetResult(list, true);
        Assert.True(walk.TryGetResult(list, out bool r) && r);
        Assert.False(walk.TryGetResult(new PyList(), out _)); // by reference, not by value
    }

    [Fact]
    public void A_caller_may_ask_for_a_smaller_step_budget_but_never_a_larger_one()
    {
        Assert.Equal(10, new ObjectWalk(new PickleLimits { MaxWalkSteps = 100 }, maxSteps: 10).MaxSteps);
        Assert.Equal(100, new ObjectWalk(new PickleLimits { MaxWalkSteps = 100 }, maxSteps: 1000).MaxSteps);
        var walk = new ObjectWalk(maxSteps: 3);
        walk.Step(0); walk.Step(0); walk.Step(0);
        Assert.Throws<ObjectWalkLimitException>(() => walk.Step(0, "a.b"));
    }

    [Fact]
    public void Walks_over_a_shared_tree_cost_what_the_pickle_costs()
    {
        var p = PickleBuilder.Start(2).EmptyDict().Str("x").EmptyList().LongBinPut(0);
        for (uint level = 1; level <= 64; level++)
            p.Pop().Mark().LongBinGet(level - 1).LongBinGet(level - 1).List().LongBinPut(level);
        string path = Path.Combine(Path.GetTempPath(), $"ptsharp-walk-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, ZipBuilder.MakePt(p.SetItem().Stop().ToArray()));
        try
        {
            long before = ObjectWalk.StepsOnThisThread;
            using (var checkpoint = Checkpoint.Open(path))
            {
                Assert.Single(checkpoint.OtherValues); // "x": a list holding no tensor
                _ = checkpoint.PtFile!.StateDict;
            }
            long steps = ObjectWalk.StepsOnThisThread - before;
            Assert.True(steps < 1_000, $"{steps} steps for 65 containers");
        }
        finally { File.Delete(path); }
    }
}
