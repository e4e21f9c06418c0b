using PtSharp.IO;

namespace PtSharp.Tests.IO;

/// <summary>The one atomic-write helper every writer uses (PtWriter, SafetensorsWriter, the shard index writer).</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-atomic-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void A_failed_write_leaves_the_target_and_no_temporary_file()
    {
        File.WriteAllText(P("target"), "old");
        string? seen = null;
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(P("target"), temp =>
        {
            seen = temp;
            File.WriteAllText(temp, "half");
            throw new InvalidOperationException("check failed");
        }));
        Assert.Equal("old", File.ReadAllText(P("target")));
        Assert.Equal(_dir.FullName, Path.GetDirectoryName(seen)); // beside the target: the rename stays on one file system
        Assert.Equal([P("target")], Directory.GetFiles(_dir.FullName));
    }

    [Fact]
    public void A_complete_write_replaces_the_target_keeping_its_permissions_and_writes_through_links()
    {
        File.WriteAllText(P("real"), "old");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(P("real"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(P("link"), P("real"));
        string replaced = AtomicFile.Write(P("link"), temp => File.WriteAllText(temp, "new"));
        Assert.Equal(P("real"), replaced);
        Assert.Equal("new", File.ReadAllText(P("real")));
        Assert.NotNull(new FileInfo(P("link")).LinkTarget); // still a link
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(P("real")));
        Assert.Equal(2, Directory.GetFiles(_dir.FullName).Length);
    }
}
