using System.Text.RegularExpressions;
using PtSharp.Tensors;

namespace PtSharp.Transforms;

/// <summary>
/// Key surgery on a state dict: filters and renames, each reporting how many keys it touched. The steps run in a
/// fixed order: <c>--include</c> (keep keys matching any pattern), <c>--exclude</c> (drop keys matching any
/// pattern) — both tested against the names as they are in the input — then <c>--strip-prefix</c> (in the order
/// given), <c>--rename</c> (in the order given, each applied to the result of the previous) and <c>--add-prefix</c>.
/// A rule that touches no key is a warning; two keys ending up with the same name is an error.
/// </summary>
public static class KeyTransform
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Applies <paramref name="options"/> to <paramref name="tensors"/>.</summary>
    /// <returns>The renamed and filtered tensors (input order kept), per-rule counts and warnings.</returns>
    /// <exception cref="ArgumentException">A pattern is not a valid regular expression.</exception>
    /// <exception cref="KeyCollisionException">Two keys map to the same name.</exception>
    public static KeyTransformResult Apply(IReadOnlyList<NamedTensor> tensors, KeyTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(options);
        var include = options.Include.Select(p => (Text: p, Regex: Compile(p, "--include"))).ToList();
        var exclude = options.Exclude.Select(p => (Text: p, Regex: Compile(p, "--exclude"))).ToList();
        var renames = options.Renames.Select(r => (Rule: r, Regex: Compile(r.Pattern, "--rename"))).ToList();
        var includeHits = new int[include.Count];
        var excludeHits = new int[exclude.Count];
        var stripHits = new int[options.StripPrefixes.Count];
        var renameHits = new int[renames.Count];
        int addHits = 0;

        var kept = new List<(string Original, string Name, PtTensor Tensor)>();
        foreach (var nt in tensors)
        {
            string name = nt.Name;
            if (include.Count > 0)
            {
                bool any = false;
                for (int i = 0; i < include.Count; i++)
                    if (IsMatch(include[i].Regex, name, "--include")) { includeHits[i]++; any = true; }
                if (!any) continue;
            }
            bool dropped = false;
            for (int i = 0; i < exclude.Count; i++)
                if (IsMatch(exclude[i].Regex, name, "--exclude")) { excludeHits[i]++; dropped = true; }
            if (dropped) continue;
            for (int i = 0; i < options.StripPrefixes.Count; i++)
            {
                string p = options.StripPrefixes[i];
                if (p.Length > 0 && name.StartsWith(p, StringComparison.Ordinal)) { name = name[p.Length..]; stripHits[i]++; }
            }
            for (int i = 0; i < renames.Count; i++)
            {
                var (rule, regex) = renames[i];
                if (!IsMatch(regex, name, "--rename")) continue;
                renameHits[i]++;
                try
                {
                    name = regex.Replace(name, rule.Replacement);
                }
                catch (RegexMatchTimeoutException)
                {
                    throw new ArgumentException($"--rename '{rule.Pattern}' took longer than {MatchTimeout.TotalSeconds:0} s on key '{name}'; simplify the pattern");
                }
            }
            if (!string.IsNullOrEmpty(options.AddPrefix)) { name = options.AddPrefix + name; addHits++; }
            kept.Add((nt.Name, name, nt.Tensor));
        }

        var firstByName = new Dictionary<string, string>(StringComparer.Ordinal);
        var collisions = new List<(string Name, string First, string Second)>();
        foreach (var (original, name, _) in kept)
            if (!firstByName.TryAdd(name, original)) collisions.Add((name, firstByName[name], original));
        if (collisions.Count > 0) throw new KeyCollisionException(collisions);

        var rules = new List<KeyRuleReport>();
        for (int i = 0; i < include.Count; i++) rules.Add(new("--include " + include[i].Text, includeHits[i]));
        for (int i = 0; i < exclude.Count; i++) rules.Add(new("--exclude " + exclude[i].Text, excludeHits[i]));
        for (int i = 0; i < stripHits.Length; i++) rules.Add(new("--strip-prefix " + options.StripPrefixes[i], stripHits[i]));
        for (int i = 0; i < renames.Count; i++) rules.Add(new($"--rename {renames[i].Rule.Pattern}={renames[i].Rule.Replacement}", renameHits[i]));
        if (!string.IsNullOrEmpty(options.AddPrefix)) rules.Add(new("--add-prefix " + options.AddPrefix, addHits));
        var warnings = rules.Where(r => r.Touched == 0).Select(r => $"{r.Rule} matched no key").ToList();
        return new KeyTransformResult(kept.Select(k => new NamedTensor(k.Name, k.Tensor)).ToList(), rules, warnings,
            kept.Where(k => k.Original != k.Name).ToDictionary(k => k.Original, k => k.Name, StringComparer.Ordinal));
    }

    /// <summary>Parses <c>REGEX=REPLACEMENT</c>: the separator is the first <c>=</c> that is not escaped (<c>\=</c>) and not part of a <c>(?=</c>, <c>(?!</c>, <c>(?&lt;=</c> or <c>(?&lt;!</c> group.</summary>
    /// <exception cref="ArgumentException">There is no separator, or the pattern is empty.</exception>
    public static RenameRule ParseRename(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\') { i++; continue; }
            if (c != '=') continue;
            bool lookaround = i >= 2 && text[i - 1] == '?' && text[i - 2] == '('
                || i >= 3 && text[i - 1] == '<' && text[i - 2] == '?' && text[i - 3] == '(';
            if (lookaround) continue;
            if (i == 0) break;
            return new RenameRule(text[..i], text[(i + 1)..]);
        }
        throw new ArgumentException($"--rename '{text}' is not REGEX=REPLACEMENT (e.g. '^encoder\\.=enc.'; use $1 for groups)");
    }

    internal static Regex Compile(string pattern, string option)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{option} '{pattern}' is not a valid regular expression: {e.Message}", e);
        }
    }

    private static bool IsMatch(Regex regex, string name, string option)
    {
        try
        {
            return regex.IsMatch(name);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new ArgumentException($"{option} '{regex}' took longer than {MatchTimeout.TotalSeconds:0} s on key '{name}'; simplify the pattern");
        }
    }
}

/// <summary>Options for <see cref="KeyTransform.Apply"/>. Patterns are .NET regular expressions, searched anywhere in the key (anchor with <c>^</c>/<c>$</c>).</summary>
public sealed class KeyTransformOptions
{
    /// <summary>Keep only keys matching at least one of these patterns.</summary>
    public IList<string> Include { get; } = [];

    /// <summary>Drop keys matching any of these patterns.</summary>
    public IList<string> Exclude { get; } = [];

    /// <summary>Prefixes removed where present (e.g. <c>module.</c> left by DataParallel/DDP), in order.</summary>
    public IList<string> StripPrefixes { get; } = [];

    /// <summary>Regex renames, applied in order (replacements use .NET syntax: <c>$1</c>, <c>${name}</c>).</summary>
    public IList<RenameRule> Renames { get; } = [];

    /// <summary>A prefix added to every key last, or <see langword="null"/>.</summary>
    public string? AddPrefix { get; set; }

    /// <summary>True when no rule is set.</summary>
    public bool IsEmpty => Include.Count == 0 && Exclude.Count == 0 && StripPrefixes.Count == 0 && Renames.Count == 0 && string.IsNullOrEmpty(AddPrefix);
}

/// <summary>A <c>--rename</c> rule.</summary>
/// <param name="Pattern">The regular expression.</param>
/// <param name="Replacement">The replacement (.NET syntax).</param>
public sealed record RenameRule(string Pattern, string Replacement);

/// <summary>How many keys one rule touched.</summary>
/// <param name="Rule">The rule as written on the command line, e.g. <c>--strip-prefix module.</c>.</param>
/// <param name="Touched">Keys it matched (filters) or changed (renames, prefixes).</param>
public sealed record KeyRuleReport(string Rule, int Touched);

/// <summary>The outcome of <see cref="KeyTransform.Apply"/>.</summary>
/// <param name="Tensors">The kept tensors under their new names, in input order.</param>
/// <param name="Rules">Per-rule counts, in the order the rules ran.</param>
/// <param name="Warnings">One line per rule that touched no key.</param>
/// <param name="Renamed">Original name → new name, for keys whose name changed.</param>
public sealed record KeyTransformResult(
    IReadOnlyList<NamedTensor> Tensors,
    IReadOnlyList<KeyRuleReport> Rules,
    IReadOnlyList<string> Warnings,
    IReadOnlyDictionary<string, string> Renamed);

/// <summary>Thrown when key surgery would give two tensors the same name.</summary>
public sealed class KeyCollisionException : Exception
{
    /// <summary>Creates the exception from the colliding pairs.</summary>
    public KeyCollisionException(IReadOnlyList<(string Name, string First, string Second)> collisions)
        : base($"{collisions.Count} key collision{(collisions.Count == 1 ? "" : "s")}: " +
               string.Join("; ", collisions.Take(5).Select(c => $"'{c.First}' and '{c.Second}' both become '{c.Name}'")) +
               (collisions.Count > 5 ? $"; and {collisions.Count - 5} more" : ""))
    {
        Collisions = collisions;
    }

    /// <summary>Each collision: the shared new name and the two original keys.</summary>
    public IReadOnlyList<(string Name, string First, string Second)> Collisions { get; }
}
