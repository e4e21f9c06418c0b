using System.Text.RegularExpressions;
using PtSharp.Tests.Support;

namespace PtSharp.Tests;

/// <summary>
/// The folder layers of src/PtSharp (docs/architecture.md) point one way: reads every source file, derives which
/// folders each folder uses (its <c>using PtSharp.X</c> directives, and the root namespace's types, which need no
/// using), and fails on a cycle; also checks that namespaces follow folders.
/// </summary>
public sealed partial class LayeringTests
{
    private const string Root = "(root)";

    private static string Source => Path.Combine(RepoPaths.Root, "src", "PtSharp");

    private static List<(string Folder, string Path, string Text)> Files() =>
        Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (FolderOf(p), p, File.ReadAllText(p)))
            .ToList();

    private static string FolderOf(string path)
    {
        var parts = Path.GetRelativePath(Source, path).Split(Path.DirectorySeparatorChar);
        return parts.Length == 1 ? Root : parts[0];
    }

    /// <summary>Folder → the folders it depends on.</summary>
    internal static Dictionary<string, SortedSet<string>> Dependencies()
    {
        var files = Files();
        var rootTypes = files.Where(f => f.Folder == Root)
            .SelectMany(f => TypeDeclaration().Matches(StripComments(f.Text)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        var deps = files.Select(f => f.Folder).Distinct().ToDictionary(f => f, _ => new SortedSet<string>(StringComparer.Ordinal));
        foreach (var (folder, _, text) in files)
        {
            foreach (Match m in UsingDirective().Matches(text))
                if (m.Groups[1].Value != folder) deps[folder].Add(m.Groups[1].Value);
            if (folder == Root) continue;
            // Code in PtSharp.X sees the root namespace's types without a using: find them as type references
            // (not member accesses such as PtKind.Checkpoint, not enum member declarations).
            string code = EnumMember().Replace(StripComments(text), "");
            if (Identifier().Matches(code).Any(m => rootTypes.Contains(m.Value))) deps[folder].Add(Root);
        }
        return deps;
    }

    [Fact]
    public void Folder_dependencies_have_no_cycle()
    {
        var deps = Dependencies();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var stack = new List<string>();
        string? cycle = null;
        void Visit(string f)
        {
            if (cycle is not null) return;
            state[f] = 1;
            stack.Add(f);
            foreach (var d in deps.GetValueOrDefault(f) ?? [])
            {
                if (state.GetValueOrDefault(d) == 1)
                {
                    cycle = string.Join(" -> ", stack.Skip(stack.IndexOf(d)).Append(d));
                    return;
                }
                if (state.GetValueOrDefault(d) == 0) Visit(d);
            }
            stack.RemoveAt(stack.Count - 1);
            state[f] = 2;
        }
        foreach (var f in deps.Keys.Order(StringComparer.Ordinal)) if (state.GetValueOrDefault(f) == 0) Visit(f);
        Assert.True(cycle is null, "folder cycle: " + cycle + "\n" +
            string.Join("\n", deps.Select(kv => $"{kv.Key} -> {string.Join(" ", kv.Value)}")));
    }

    [Fact]
    public void The_lowest_layers_know_nothing_of_torch_or_formats()
    {
        var deps = Dependencies();
        Assert.Empty(deps["Errors"]);
        Assert.Equal(["Errors"], deps["IO"]);
        Assert.Empty(deps["Pickle"].Except(["Errors", "IO"]));
        Assert.Empty(deps["Zip"].Except(["Errors", "IO"]));
        Assert.Empty(deps["Tensors"].Except(["Errors", "IO", "Pickle"]));
        Assert.DoesNotContain("Loading", deps["Torch"]);
    }

    [Fact]
    public void Namespaces_follow_folders()
    {
        foreach (var (folder, path, text) in Files())
        {
            string rel = Path.GetDirectoryName(Path.GetRelativePath(Source, path))!;
            string expected = folder == Root ? "PtSharp" : "PtSharp." + rel.Replace(Path.DirectorySeparatorChar, '.');
            Assert.True(Regex.IsMatch(text, $@"^namespace {Regex.Escape(expected)};", RegexOptions.Multiline),
                $"{Path.GetRelativePath(RepoPaths.Root, path)} should be in namespace {expected}");
        }
    }

    private static string StripComments(string s)
    {
        s = Regex.Replace(s, @"//[^\n]*", "");
        s = Regex.Replace(s, @"/\*.*?\*/", "", RegexOptions.Singleline);
        return Regex.Replace(s, @"""(?:\\.|[^""\\])*""", "\"\"");
    }

    [GeneratedRegex(@"^using PtSharp\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"\b(?:class|record|enum|struct|interface)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*\w+\s*(=\s*[^,;]+)?,?\s*$", RegexOptions.Multiline)]
    private static partial Regex EnumMember();

    [GeneratedRegex(@"(?<![.\w])\w+")]
    private static partial Regex Identifier();
}
