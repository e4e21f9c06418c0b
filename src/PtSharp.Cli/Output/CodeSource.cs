using System.Text;
using PtSharp.Cli.Options;

namespace PtSharp.Cli.Output;

/// <summary>
/// The text of one <c>code/</c> record of a TorchScript archive, for <c>pt inspect --code RECORD</c>.
/// </summary>
internal static class CodeSource
{
    /// <summary>Records larger than this are refused rather than printed (TorchScript sources are kilobytes).</summary>
    private const int MaxBytes = 64 << 20;

    /// <summary>Whether an option value names a record rather than the FILE that follows the option.</summary>
    public static bool LooksLikeRecord(string value) =>
        value.Contains("code/", StringComparison.Ordinal) || value.EndsWith(".py", StringComparison.Ordinal);

    /// <summary>
    /// Reads <paramref name="record"/> (with or without the archive folder, with or without <c>code/</c>) and returns
    /// its text with a final newline. Control characters other than newline and tab are shown as <c>\xNN</c>, so a
    /// hostile archive cannot drive the terminal.
    /// </summary>
    /// <exception cref="CliException">
    /// No such record, not a TorchScript archive, or a record that is not text.
    /// </exception>
    public static string Read(Checkpoint checkpoint, string record, string displayName)
    {
        if (checkpoint.PtFile is not { } file || file.RecordNames.Count == 0)
            throw new CliException($"{displayName} has no code/ records (not a TorchScript archive)");
        var names = file.RecordNames;
        string? name = Resolve(names, record, file.ArchiveName);
        if (name is null)
        {
            var code = names.Where(n => n.StartsWith("code/", StringComparison.Ordinal)
                && n.EndsWith(".py", StringComparison.Ordinal)).ToList();
            string known = code.Count == 0 ? "none (not a TorchScript archive)"
                : string.Join(", ", code.Take(8)) + (code.Count > 8 ? $", … ({code.Count} in all)" : "");
            throw new CliException($"no record '{record}' in {displayName}; code records: {known}");
        }
        int index = names.ToList().IndexOf(name);
        if (index >= 0 && index < file.Entries.Count && file.Entries[index].UncompressedSize > MaxBytes)
            throw new CliException(
                $"record '{name}' is {file.Entries[index].UncompressedSize:N0} bytes, above {MaxBytes:N0}");
        byte[] bytes = file.ReadRecord(name);
        if (Array.IndexOf(bytes, (byte)0) >= 0)
            throw new CliException($"record '{name}' is binary, not source text");
        return Printable(Encoding.UTF8.GetString(bytes));
    }

    private static string? Resolve(IReadOnlyList<string> names, string record, string? archive)
    {
        string r = record.Replace('\\', '/').TrimStart('/');
        if (archive is not null && r.StartsWith(archive + "/", StringComparison.Ordinal)) r = r[(archive.Length + 1)..];
        foreach (var candidate in new[] { r, "code/" + r })
            if (names.Contains(candidate)) return candidate;
        return null;
    }

    private static string Printable(string text)
    {
        var sb = new StringBuilder(text.Length + 1);
        foreach (char c in text)
        {
            if (c is '\n' or '\t') sb.Append(c);
            else if (c < 0x20 || c is >= '\x7f' and <= '\x9f') sb.Append($"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        if (sb.Length == 0 || sb[^1] != '\n') sb.Append('\n');
        return sb.ToString();
    }
}
