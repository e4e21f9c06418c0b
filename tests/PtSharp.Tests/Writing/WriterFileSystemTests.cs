using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Tests.Writing;

/// <summary>How saves treat the file system (links, permissions) and keys built in .NET.</summary>
public sealed class WriterFileSystemTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-fs-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static PyDict SmallStateDict() => new("collections.OrderedDict") { { "w", PtTensor.FromArray(new float[] { 1, 2 }, [2]) } };

    [Fact]
    public void Saving_through_a_symbolic_link_writes_the_target_and_keeps_the_link()
    {
        string target = Path.Combine(_dir.FullName, "real.pt");
        string link = Path.Combine(_dir.FullName, "link.pt");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);
        PtWriter.Save(link, SmallStateDict());
        Assert.NotNull(new FileInfo(link).LinkTarget);
        using var f = PtFile.Open(target);
        Assert.Equal(new[] { 1f, 2f }, f.Tensors[0].Tensor.ToArray<float>());
    }

    [Fact]
    public void Replacing_a_file_keeps_its_permissions()
    {
        if (OperatingSystem.IsWindows()) return;
        string path = Path.Combine(_dir.FullName, "private.pt");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        PtWriter.Save(path, SmallStateDict());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Int_keys_from_dotnet_equal_the_long_keys_files_hold()
    {
        var d = new PyDict();
        d.Set(0, "x");
        d.Set(0, "y");
        d.Set(0L, "z");
        Assert.Equal(1, d.Count);
        Assert.True(d.ContainsKey(0));
        Assert.True(d.ContainsKey(0L));
        Assert.Equal("z", d[(byte)0]);
        string path = Path.Combine(_dir.FullName, "state.pt");
        PtWriter.Save(path, new PyDict { { "state", d } });
        using var f = PtFile.Open(path);
        var state = (PyDict)((PyDict)f.Root!)["state"]!;
        Assert.Equal(1, state.Count);
        Assert.Equal("z", state[0L]);
    }
}
