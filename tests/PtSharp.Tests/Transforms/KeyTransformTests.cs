using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Tests.Transforms;

/// <summary>Key surgery: each rule, the order they run in, per-rule counts, warnings and collisions.</summary>
public sealed class KeyTransformTests
{
    private static List<NamedTensor> Keys(params string[] names) => names.Select(n => new NamedTensor(n, PtTensor.Scalar(1f))).ToList();

    private static KeyTransformResult Apply(IReadOnlyList<NamedTensor> t, Action<KeyTransformOptions> configure)
    {
        var o = new KeyTransformOptions();
        configure(o);
        return KeyTransform.Apply(t, o);
    }

    [Fact]
    public void Strip_prefix_removes_dataparallel_module_prefixes_and_counts_them()
    {
        var r = Apply(Keys("module.fc.weight", "module.fc.bias", "step"), o => o.StripPrefixes.Add("module."));
        Assert.Equal(["fc.weight", "fc.bias", "step"], r.Tensors.Select(t => t.Name));
        Assert.Equal(2, Assert.Single(r.Rules).Touched);
        Assert.Empty(r.Warnings);
        Assert.Equal("fc.weight", r.Renamed["module.fc.weight"]);
    }

    [Fact]
    public void Add_prefix_touches_every_key()
    {
        var r = Apply(Keys("a", "b"), o => o.AddPrefix = "model.");
        Assert.Equal(["model.a", "model.b"], r.Tensors.Select(t => t.Name));
        Assert.Equal(new KeyRuleReport("--add-prefix model.", 2), Assert.Single(r.Rules));
    }

    [Fact]
    public void Renames_run_in_order_with_groups()
    {
        var r = Apply(Keys("encoder.layer.0.attn.q.weight", "encoder.layer.1.attn.q.weight", "head.bias"), o =>
        {
            o.Renames.Add(KeyTransform.ParseRename(@"^encoder\.layer\.(\d+)\.=blocks.$1."));
            o.Renames.Add(KeyTransform.ParseRename(@"\.attn\.q\.=.q_proj."));
        });
        Assert.Equal(["blocks.0.q_proj.weight", "blocks.1.q_proj.weight", "head.bias"], r.Tensors.Select(t => t.Name));
        Assert.Equal([2, 2], r.Rules.Select(x => x.Touched));
    }

    [Fact]
    public void Include_and_exclude_filter_on_the_input_names()
    {
        var r = Apply(Keys("module.enc.w", "module.enc.b", "module.dec.w", "module.enc.norm.w"), o =>
        {
            o.Include.Add(@"^module\.enc\.");
            o.Exclude.Add(@"norm");
            o.StripPrefixes.Add("module.");
        });
        Assert.Equal(["enc.w", "enc.b"], r.Tensors.Select(t => t.Name));
        Assert.Equal([3, 1, 2], r.Rules.Select(x => x.Touched));
        Assert.Equal(["--include ^module\\.enc\\.", "--exclude norm", "--strip-prefix module."], r.Rules.Select(x => x.Rule));
    }

    [Fact]
    public void Several_includes_keep_keys_matching_any()
    {
        var r = Apply(Keys("a.w", "b.w", "c.w"), o => { o.Include.Add("^a"); o.Include.Add("^c"); });
        Assert.Equal(["a.w", "c.w"], r.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void A_rule_that_matches_nothing_is_a_warning()
    {
        var r = Apply(Keys("fc.weight"), o => { o.StripPrefixes.Add("module."); o.Exclude.Add("^nothing$"); });
        Assert.Equal(2, r.Warnings.Count);
        Assert.Contains(r.Warnings, w => w.Contains("--strip-prefix module.") && w.Contains("matched no key"));
        Assert.Equal(["fc.weight"], r.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Two_keys_mapping_to_one_name_is_an_error_naming_both()
    {
        var e = Assert.Throws<KeyCollisionException>(() => Apply(Keys("module.fc.w", "fc.w", "x"), o => o.StripPrefixes.Add("module.")));
        var c = Assert.Single(e.Collisions);
        Assert.Equal(("fc.w", "module.fc.w", "fc.w"), c);
        Assert.Contains("'module.fc.w' and 'fc.w' both become 'fc.w'", e.Message);
    }

    [Fact]
    public void Tensors_keep_their_objects_so_ties_survive_renaming()
    {
        var t = PtTensor.Scalar(1f);
        var r = Apply([new("embed", t), new("head", t)], o => o.AddPrefix = "m.");
        Assert.Same(r.Tensors[0].Tensor, r.Tensors[1].Tensor);
    }

    [Theory]
    [InlineData("a=b", "a", "b")]
    [InlineData(@"^x\=y=z", @"^x\=y", "z")]
    [InlineData("(?<=enc)oder=ODER", "(?<=enc)oder", "ODER")]
    [InlineData("(?=a)b=c", "(?=a)b", "c")]
    [InlineData("(?!x)y=", "(?!x)y", "")]
    [InlineData("a=b=c", "a", "b=c")]
    public void Rename_splits_at_the_first_plain_equals(string text, string pattern, string replacement) =>
        Assert.Equal(new RenameRule(pattern, replacement), KeyTransform.ParseRename(text));

    [Theory]
    [InlineData("noequals")]
    [InlineData("=x")]
    public void Rename_without_a_pattern_is_rejected(string text) =>
        Assert.Throws<ArgumentException>(() => KeyTransform.ParseRename(text));

    [Fact]
    public void An_invalid_pattern_names_the_option() =>
        Assert.Contains("--include '(' is not a valid regular expression", Assert.Throws<ArgumentException>(() => Apply(Keys("a"), o => o.Include.Add("("))).Message);
}
