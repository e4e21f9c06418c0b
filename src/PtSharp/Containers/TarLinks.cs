namespace PtSharp.Containers;

/// <summary>How tarfile's <c>extractfile</c> follows a link member to the member whose data it returns.</summary>
internal static class TarLinks
{
    /// <summary>
    /// TarFile._find_link_target, repeated while the target is a link: a symbolic link names a path relative to its
    /// own folder and is looked up in the whole archive, a hard link only among the members before it; both by
    /// normalized path, the last match winning. Null when the target is not in the archive.
    /// </summary>
    public static TarMember? Resolve(IReadOnlyList<TarMember> members, TarMember link)
    {
        var current = link;
        for (int hops = 0; current.IsLink && hops < 64; hops++)
        {
            string target;
            int limit;
            if (current.Type == (byte)'2')
            {
                int slash = current.Name.LastIndexOf('/');
                string dir = slash < 0 ? "" : current.Name[..slash];
                target = string.Join("/", new[] { dir, current.LinkName }.Where(s => s.Length > 0));
                limit = members.Count;
            }
            else
            {
                target = current.LinkName;
                limit = IndexOf(members, current);
            }
            target = NormPath(target);
            TarMember? found = null;
            for (int i = limit - 1; i >= 0; i--)
                if (NormPath(members[i].Name) == target) { found = members[i]; break; }
            if (found is null) return null;
            current = found;
        }
        return current.IsLink ? null : current;
    }

    private static int IndexOf(IReadOnlyList<TarMember> members, TarMember m)
    {
        for (int i = 0; i < members.Count; i++) if (ReferenceEquals(members[i], m)) return i;
        return members.Count;
    }

    /// <summary>posixpath.normpath.</summary>
    internal static string NormPath(string path)
    {
        if (path.Length == 0) return ".";
        int initial = path.StartsWith('/') ? path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith(
            "///", StringComparison.Ordinal) ? 2 : 1 : 0;
        var parts = new List<string>();
        foreach (var comp in path.Split('/'))
        {
            if (comp.Length == 0 || comp == ".") continue;
            if (comp != ".." || (initial == 0 && parts.Count == 0) || (parts.Count > 0
                && parts[^1] == "..")) parts.Add(comp);
            else if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
        }
        string result = new string('/', initial) + string.Join("/", parts);
        return result.Length == 0 ? "." : result;
    }
}
