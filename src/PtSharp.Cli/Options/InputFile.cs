namespace PtSharp.Cli.Options;

/// <summary>
/// An input path for commands that memory-map their input: a regular file is used as it is; <c>-</c> (stdin),
/// <c>/dev/stdin</c>, a pipe or a FIFO is copied to a temporary file first (deleted on dispose), up to
/// <see cref="Limit"/> bytes (<c>PT_STDIN_LIMIT</c> in bytes overrides the default 4 GiB).
/// </summary>
internal sealed class InputFile : IDisposable
{
    private const long DefaultLimit = 4L << 30;
    private readonly bool _temporary;

    private InputFile(string path, string displayName, bool temporary)
    {
        Path = path;
        DisplayName = displayName;
        _temporary = temporary;
    }

    /// <summary>A regular file holding the input.</summary>
    public string Path { get; }

    /// <summary>What to call the input in messages: the path as given, or <c>stdin</c>.</summary>
    public string DisplayName { get; }

    /// <summary>Largest input read from a pipe.</summary>
    public static long Limit =>
        long.TryParse(Environment.GetEnvironmentVariable("PT_STDIN_LIMIT"), out long v) && v > 0 ? v : DefaultLimit;

    /// <summary>
    /// Resolves <paramref name="path"/>; throws <see cref="CliException"/> for an empty path or an over-long stream.
    /// The path is opened once: a FIFO cannot be probed and then read again.
    /// </summary>
    public static InputFile Open(string path)
    {
        CliPaths.RequireNonEmpty(path, "input path");
        if (path != "-" && (Directory.Exists(path) || !File.Exists(path))) return new InputFile(path, path, temporary: false);
        string name = path == "-" ? "stdin" : path;
        Stream source;
        try
        {
            source = path == "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {name}: {CliException.Reason(e)}", ExitCodes.Unreadable);
        }
        using (source)
        {
            if (source.CanSeek && path != "-") return new InputFile(path, path, temporary: false);
            return Copy(source, name);
        }
    }

    private static InputFile Copy(Stream source, string name)
    {
        string temp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pt-stdin-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                var buffer = new byte[1 << 20];
                long total = 0, limit = Limit;
                int n;
                while ((n = source.Read(buffer)) > 0)
                {
                    total += n;
                    if (total > limit)
                        throw new CliException($"{name} is larger than the {Output.Display.Bytes(limit)} read from a pipe (PT_STDIN_LIMIT); save it to a file and pass its path", ExitCodes.Unreadable);
                    target.Write(buffer, 0, n);
                }
            }
            return new InputFile(temp, name, temporary: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            if (e is IOException or UnauthorizedAccessException)
                throw new CliException($"cannot read {name}: {CliException.Reason(e)}", ExitCodes.Unreadable);
            throw;
        }
    }

    /// <summary>Deletes the temporary copy, if any.</summary>
    public void Dispose()
    {
        if (!_temporary) return;
        try { File.Delete(Path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
