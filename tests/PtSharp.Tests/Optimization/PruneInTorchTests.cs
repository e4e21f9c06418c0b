using Xunit.Abstractions;

namespace PtSharp.Tests.Optimization;

/// <summary>
/// <c>pt prune</c> against real torch (tests/interop/verify_prune.py): masks equal torch.nn.utils.prune's for
/// l1_unstructured (fractions and a count), global_unstructured and ln_structured (n = 1, 2, inf) on seeded weights
/// without ties at the threshold; the default output equals prune.remove and loads strictly into the plain model;
/// <c>--keep-mask</c> files load into a model carrying pruning hooks; <c>--fold</c> of a torch-pruned file equals
/// prune.remove; <c>pt convert</c> (.pt and safetensors) keeps pruned files intact.
/// </summary>
public sealed class PruneInTorchTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Pruned_files_have_torchs_masks_and_load_into_torch(string version)
    {
        if (!TorchOracleChecks.TryRun(version, "verify_prune.py", output, out var checks)) return;
        TorchOracleChecks.AssertAll(checks,
            "l1_unstructured amount=0.3 --keep-mask", "l1_unstructured amount=0.5 --keep-mask", "l1_unstructured amount=100 --keep-mask",
            "l1_unstructured amount=0.3 equals prune.remove", "l1_unstructured amount=0.3 loads into the plain model (strict)",
            "l1_unstructured amount=0.3 --keep-mask loads into a pruned model",
            "global_unstructured --keep-mask", "global_unstructured equals prune.remove",
            "ln_structured n=1 --keep-mask", "ln_structured n=2 --keep-mask", "ln_structured n=inf --keep-mask",
            "--include", "--fold of a torch-pruned file equals prune.remove", "--fold output loads into the plain model (strict)",
            "pt convert keeps a folded file", "pt convert keeps a --keep-mask file",
            "pt convert to safetensors and back keeps a pruned file",
            "second round layer --keep-mask", "second round layer equals prune.remove",
            "second round layer loads into the plain model (strict)", "second round layer prunes more than the first",
            "second round global --keep-mask", "second round global equals prune.remove",
            "second round structured --keep-mask", "second round structured equals prune.remove",
            "second round unstructured then structured --keep-mask",
            "second round unstructured then structured equals prune.remove");
        Assert.True(checks.Count >= 46, $"only {checks.Count} checks ran");
    }
}
