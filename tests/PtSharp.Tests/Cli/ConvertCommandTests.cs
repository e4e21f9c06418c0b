using PtSharp.Cli;
using PtSharp.Cli.Commands;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary><c>pt convert</c>: every input format becomes a zip .pt with the same tensors; options and exit codes.</summary>
public sealed class ConvertCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-convert-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_dir.FullName, name);

    private static string Fixture(string relative) => Path.Combine(RepoPaths.Fixtures, relative);

    private static (int Code, string Stdout, string Stderr) Convert(string input, string output, bool stateDict = false, string? key = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ConvertCommand.Run(stdout, stderr, input, output, stateDict, key, quiet: true);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertSameTensors(IReadOnlyList<NamedTensor> expected, IReadOnlyList<NamedTensor> actual)
    {
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        for (int i = 0; i < expected.Count; i++)
        {
            var (a, b) = (expected[i].Tensor, actual[i].Tensor);
            Assert.Equal(a.DType, b.DType);
            Assert.Equal(a.Shape, b.Shape);
            Assert.Equal(a.Stride, b.Stride);
            Assert.Equal(a.StorageOffset, b.StorageOffset);
            if (a.Storage is { HasData: true } && a.ElementCount > 0 && !a.IsSparse)
                Assert.True(a.Storage.Bytes.SequenceEqual(b.Storage!.Bytes), $"{expected[i].Name}: storage bytes differ");
        }
    }

    [Theory]
    [InlineData("torch-1.13/legacy_state_dict.pt")]
    [InlineData("torch-1.13/legacy_checkpoint.pt")]
    [InlineData("torch-1.13/legacy_full_model.pt")]
    [InlineData("handbuilt/legacy_tar.pt")]
    [InlineData("handbuilt/big_endian.pt")]
    [InlineData("torch-2.6/checkpoint_adam.pt")]
    public void Any_readable_file_becomes_a_zip_with_the_same_tensors(string fixture)
    {
        var output = Out("converted.pt");
        var (code, _, stderr) = Convert(Fixture(fixture), output);
        Assert.True(code == ExitCodes.Ok, stderr);
        using var original = PtFile.Open(Fixture(fixture));
        using var converted = PtFile.Open(output);
        Assert.Equal(PtFormat.Zip, converted.Format);
        Assert.Equal("little", converted.ByteOrder);
        Assert.Equal(original.Kind, converted.Kind);
        AssertSameTensors(original.Tensors, converted.Tensors);
    }

    [Fact]
    public void TorchScript_is_exported_as_its_state_dict()
    {
        var input = Fixture("torch-1.13/torchscript_scripted.pt");
        var output = Out("weights.pt");
        var (code, _, stderr) = Convert(input, output, stateDict: true);
        Assert.True(code == ExitCodes.Ok, stderr);
        using var original = PtFile.Open(input);
        using var converted = PtFile.Open(output);
        Assert.Equal(PtKind.StateDict, converted.Kind);
        Assert.NotEmpty(original.StateDict);
        AssertSameTensors(original.StateDict, converted.StateDict);
        Assert.All(converted.Tensors, t => Assert.False(t.Tensor.RequiresGrad));
    }

    [Fact]
    public void Key_extracts_one_entry_of_a_checkpoint()
    {
        var input = Fixture("torch-1.13/checkpoint_adam.pt");
        var output = Out("model.pt");
        var (code, _, stderr) = Convert(input, output, key: "model_state_dict");
        Assert.True(code == ExitCodes.Ok, stderr);
        using var original = PtFile.Open(input);
        Assert.True(original.TryGetPath("model_state_dict", out var sub));
        using var converted = PtFile.Open(output);
        Assert.Equal(PtKind.StateDict, converted.Kind);
        Assert.Equal(((PyDict)sub!).Keys.Cast<string>(), converted.Tensors.Select(t => t.Name));
        Assert.True(((PyDict)converted.Root!).Attributes!.ContainsKey("_metadata"));
    }

    [Fact]
    public void State_dict_of_a_pickled_model_has_its_state_dict_keys()
    {
        var input = Fixture("torch-1.13/full_model_user.pt");
        var output = Out("sd.pt");
        var (code, _, stderr) = Convert(input, output, stateDict: true);
        Assert.True(code == ExitCodes.Ok, stderr);
        using var original = PtFile.Open(input);
        using var converted = PtFile.Open(output);
        Assert.Equal(original.StateDict.Select(t => t.Name), converted.Tensors.Select(t => t.Name));
        Assert.DoesNotContain(converted.Globals, g => g.Contains("fixture_models", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_key_is_a_usage_error_naming_the_available_keys()
    {
        var (code, _, stderr) = Convert(Fixture("torch-1.13/checkpoint_adam.pt"), Out("x.pt"), key: "nope");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("model_state_dict", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Out("x.pt")));
    }

    [Fact]
    public void Unreadable_input_exits_2_with_one_line()
    {
        var bad = Out("bad.pt");
        File.WriteAllBytes(bad, [0x50, 0x4B, 0x03, 0x04, 1, 2, 3]);
        var (code, _, stderr) = Convert(bad, Out("x.pt"));
        Assert.Equal(ExitCodes.Unreadable, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Equal(ExitCodes.Unreadable, Convert(Out("missing.pt"), Out("x.pt")).Code);
    }

    [Fact]
    public void Write_failure_exits_3_and_leaves_no_file()
    {
        var target = Path.Combine(_dir.FullName, "no-such-folder", "x.pt");
        var (code, _, stderr) = Convert(Fixture("torch-1.13/mlp_state_dict.pt"), target);
        Assert.Equal(ExitCodes.WriteFailed, code);
        Assert.Contains("x.pt", stderr);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Converting_over_an_existing_file_replaces_it_completely()
    {
        var output = Out("target.pt");
        File.WriteAllText(output, "previous contents");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ConvertCommand.Run(stdout, stderr, Fixture("torch-1.13/mlp_state_dict.pt"), output,
            new ConvertCommand.Settings { Quiet = true, Force = true });
        Assert.True(code == ExitCodes.Ok, stderr.ToString());
        using var converted = PtFile.Open(output);
        Assert.Equal(PtKind.StateDict, converted.Kind);
        Assert.Empty(Directory.GetFiles(_dir.FullName, "*.tmp"));
    }
}
