namespace PtSharp.IO;

/// <summary>
/// The one way PtSharp writes a file: into a temporary file beside the target, which replaces the target only once
/// it is complete (and checked); on any failure the temporary file is deleted and the target is left as it was.
/// A symbolic link is written through (its final target is replaced), as <c>torch.save</c> does, and the new file
/// gets the permissions of the file it replaces.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The file a write to <paramref name="path"/> replaces: the path, or a symbolic link's final target.</summary>
    public static string Target(string path)
    {
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target ? target.FullName : full;
    }

    /// <summary>
    /// Calls <paramref name="writeTemp"/> with the path of a fresh temporary file in the target's folder (which
    /// it must create, write and close), then moves it over the target.
    /// </summary>
    /// <returns>The file replaced (see <see cref="Target"/>).</returns>
    public static string Write(string path, Action<string> writeTemp)
    {
        string full = Target(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeTemp(temp);
            if (!OperatingSystem.IsWindows() && File.Exists(full)) File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
            File.Move(temp, full, overwrite: true);
            return full;
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
