using System.Text;
using PtSharp.IO;

namespace PtSharp.Containers;

/// <summary>One member of a tar archive as Python's <c>tarfile</c> lists it.</summary>
/// <param name="Name">Name after GNU long names, PAX <c>path</c> and the ustar prefix.</param>
/// <param name="Type">The type flag byte (<c>'0'</c>, <c>'\0'</c>, <c>'5'</c>, ...).</param>
/// <param name="LinkName">Target of a hard or symbolic link.</param>
/// <param name="HeaderOffset">Offset of the first header block that describes the member (as tarfile's offset).</param>
/// <param name="DataOffset">Offset of the member's data.</param>
/// <param name="Size">Bytes tarfile reads from <paramref name="DataOffset"/> (after PAX overrides).</param>
/// <param name="HasData">True for regular files and unknown types (tarfile treats them as regular files).</param>
/// <param name="Sparse">True for GNU sparse members, whose content tarfile reassembles from pieces.</param>
internal sealed record TarMember(string Name, byte Type, string LinkName, long HeaderOffset, long DataOffset, long Size,
    bool HasData, bool Sparse)
{
    public bool IsLink => Type is (byte)'1' or (byte)'2';
}

/// <summary>How the walk ended, in tarfile's terms.</summary>
internal enum TarOutcome
{
    /// <summary>A zero block, the end of the file or a bad header after the first: the archive ends cleanly.</summary>
    End,
    /// <summary>tarfile raises <c>ReadError</c> (a <c>TarError</c>): torch.load then reads the file as a pickle
    /// stream.</summary>
    ReadError,
    /// <summary>tarfile raises something else (RecursionError, ValueError) or loops forever: torch.load
    /// fails.</summary>
    Failure,
}

/// <summary>The members tarfile sees and how its reading ends.</summary>
internal sealed record TarListing(IReadOnlyList<TarMember> Members, TarOutcome Outcome, string? Problem);

/// <summary>
/// Walks a tar archive exactly as CPython's <c>tarfile</c> (3.11 and 3.13, the Pythons of the torch 1.13 and 2.6
/// oracles) does when torch's legacy loader opens it: header checksums as unsigned or signed byte sums, number
/// fields as <see cref="TarNumber"/>, GNU long names and PAX headers applied to the header that follows, PAX
/// <c>size</c> overrides moving the next header, unknown type flags read as regular files, and data skipped only for
/// regular members (a directory's declared size is not skipped). Nothing is allocated per data byte.
/// </summary>
internal sealed class TarWalker
{
    private const int Block = 512;
    // CPython's recursion limit is 1000 frames; each GNU/PAX header nests three.
    private const int MaxNesting = 300;
    private readonly ByteWindow _bytes;
    private readonly bool _followUpDirCheck;
    private readonly List<KeyValuePair<string, string>> _global = [];
    private long _position;

    private TarWalker(ByteWindow bytes, bool followUpDirCheck)
    {
        _bytes = bytes;
        _followUpDirCheck = followUpDirCheck;
    }

    private sealed class HeaderError(string message) : Exception(message);

    private sealed class OtherError(string message) : Exception(message);

    private sealed class Header
    {
        public string Name = "", LinkName = "";
        public byte Type;
        public long Offset, DataOffset, Size;
        public bool Sparse;
        public long Next;
    }

    /// <summary>
    /// Lists the members. <paramref name="python313"/> selects CPython 3.13's rule that a header following a GNU
    /// long name or PAX header is never turned into a directory by a trailing slash (3.11 does that to every header).
    /// </summary>
    public static TarListing Walk(ByteWindow bytes, bool python313) => new TarWalker(bytes, !python313).Run();

    /// <summary>True when tarfile accepts the first header block: torch.load then takes the legacy tar path.</summary>
    public static bool LooksLikeTar(ReadOnlySpan<byte> head)
    {
        if (head.Length < Block || head[..Block].IndexOfAnyExcept((byte)0) < 0) return false;
        try
        {
            Parse(head[..Block]);
            return true;
        }
        catch (HeaderError) { return false; }
    }

    private TarListing Run()
    {
        var members = new List<TarMember>();
        var seen = new HashSet<long>();
        try
        {
            while (true)
            {
                long at = _position;
                // tarfile checks that the previous member's data is there before reading the next header.
                if (at > _bytes.Length) return new(members, TarOutcome.ReadError, "unexpected end of data");
                if (!seen.Add(at)) return new(members, TarOutcome.Failure,
                    $"the header at {at} is read again: tarfile loops forever");
                Header h;
                try { h = FromTarFile(at, 0); }
                catch (HeaderError e)
                {
                    // Empty, truncated, zero or invalid block: the archive ends, except at offset 0.
                    if (at == 0 && e.Message != "end of file header") return new(members, TarOutcome.ReadError,
                        e.Message);
                    return new(members, TarOutcome.End, at < _bytes.Length && e.Message != "end of file header"
                        ? e.Message : null);
                }
                catch (SubsequentHeaderError e) { return new(members, TarOutcome.ReadError, e.Message); }
                bool hasData = IsRegular(h.Type) || !IsSupported(h.Type);
                members.Add(new TarMember(h.Name, h.Type, h.LinkName, h.Offset, h.DataOffset, h.Size, hasData,
                    h.Sparse));
                if (h.Next == 0) return new(members, TarOutcome.End, null); // tarfile.next() stops at offset 0
                if (h.Next < 0) return new(members, TarOutcome.Failure,
                    "a negative size moves the next header before the file's start");
                _position = h.Next;
            }
        }
        catch (OtherError e) { return new(members, TarOutcome.Failure, e.Message); }
    }

    private sealed class SubsequentHeaderError(string message) : Exception(message);

    private static bool IsRegular(byte t) => t is (byte)'0' or 0 or (byte)'7' or (byte)'S';

    private static bool IsSupported(byte t) =>
        IsRegular(t) || t is >= (byte)'1' and <= (byte)'6' or (byte)'L' or (byte)'K';

    private long BlockOf(long count)
    {
        // CPython 3.13 refuses negative sizes (InvalidHeaderError "invalid offset"); 3.11 rounds them.
        if (count < 0 && !_followUpDirCheck) throw new HeaderError("invalid offset");
        // divmod rounding of Python: floor division, then one more block for a remainder.
        long blocks = Math.DivRem(count, Block, out long rem);
        if (rem < 0) { blocks--; rem += Block; }
        if (rem != 0) blocks++;
        return blocks * Block;
    }

    /// <summary>TarInfo.fromtarfile: reads the header at <paramref name="at"/> and processes it by type.</summary>
    private Header FromTarFile(long at, int depth, bool dirCheck = true)
    {
        if (depth > MaxNesting) throw new OtherError("GNU/PAX headers nest deeper than CPython's recursion limit");
        long available = Math.Max(0, Math.Min(Block, _bytes.Length - at));
        if (available == 0) throw new HeaderError("empty header");
        if (available < Block) throw new HeaderError("truncated header");
        var buf = _bytes.Span(at, Block, "tar header", null);
        if (buf.IndexOfAnyExcept((byte)0) < 0) throw new HeaderError("end of file header");
        var h = Parse(buf, dirCheck);
        h.Offset = at;
        long afterHeader = at + Block;
        switch (h.Type)
        {
            case (byte)'L' or (byte)'K': return GnuLong(h, afterHeader, depth);
            case (byte)'S': return Sparse(h, buf, afterHeader);
            case (byte)'x' or (byte)'g' or (byte)'X': return Pax(h, afterHeader, depth);
            default: return Builtin(h, afterHeader);
        }
    }

    private Header Builtin(Header h, long afterHeader)
    {
        h.DataOffset = afterHeader;
        h.Next = IsRegular(h.Type) || !IsSupported(h.Type) ? afterHeader + BlockOf(h.Size) : afterHeader;
        Apply(h, _global);
        if (h.Type == (byte)'5') h.Name = h.Name.TrimEnd('/');
        return h;
    }

    /// <summary>The file position after reading <paramref name="count"/> bytes at <paramref name="at"/> (short at
    /// EOF).</summary>
    private long ReadEnd(long at, long count) => count < 0 ? Math.Max(at, _bytes.Length) : Math.Min(at + count,
        Math.Max(at, _bytes.Length));

    private ReadOnlySpan<byte> Read(long at, long count)
    {
        long end = ReadEnd(at, count);
        return at >= _bytes.Length ? [] : _bytes.Span(at, Math.Min(end - at, int.MaxValue), "tar header data", null);
    }

    private Header GnuLong(Header h, long afterHeader, int depth)
    {
        long size = BlockOf(h.Size);
        var buf = Read(afterHeader, size);
        Header next;
        try { next = FromTarFile(ReadEnd(afterHeader, size), depth + 1, _followUpDirCheck); }
        catch (HeaderError e) { throw new SubsequentHeaderError(e.Message); }
        next.Offset = h.Offset;
        if (h.Type == (byte)'L') next.Name = CString(buf);
        else next.LinkName = CString(buf);
        if (next.Type == (byte)'5' && next.Name.EndsWith('/')) next.Name = next.Name[..^1];
        return next;
    }

    private Header Sparse(Header h, ReadOnlySpan<byte> buf, long afterHeader)
    {
        long pos = afterHeader;
        bool extended = buf[482] != 0;
        while (extended)
        {
            if (pos + Block > _bytes.Length) throw new OtherError(
                "sparse header extension runs past the end of the file");
            var ext = _bytes.Span(pos, Block, "tar sparse header", null);
            for (int i = 0; i < 21; i++)
                if (!TarNumber.TryParse(ext.Slice(24 * i, 12), out _) || !TarNumber.TryParse(ext.Slice(24 * i + 12,
                    12), out _))
                    throw new HeaderError("invalid header");
            extended = ext[504] != 0;
            pos += Block;
        }
        h.DataOffset = pos;
        h.Next = pos + BlockOf(h.Size);
        if (!TarNumber.TryParse(buf.Slice(483, 12), out long realSize)) throw new HeaderError("invalid header");
        h.Size = realSize;
        h.Sparse = true;
        return h;
    }

    private Header Pax(Header h, long afterHeader, int depth)
    {
        long size = BlockOf(h.Size);
        var buf = Read(afterHeader, size);
        var headers = h.Type == (byte)'g' ? _global : [.. _global];
        foreach (var (key, value) in ParsePax(buf)) Set(headers, key, value);
        Header next;
        try { next = FromTarFile(ReadEnd(afterHeader, size), depth + 1, _followUpDirCheck); }
        catch (HeaderError e) { throw new SubsequentHeaderError(e.Message); }
        if (headers.Any(kv => kv.Key.StartsWith("GNU.sparse.", StringComparison.Ordinal))) next.Sparse = true;
        if (h.Type != (byte)'g')
        {
            Apply(next, headers);
            next.Offset = h.Offset;
            if (headers.Any(kv => kv.Key == "size"))
                next.Next = next.DataOffset + (IsRegular(next.Type) || !IsSupported(next.Type) ? BlockOf(next.Size)
                    : 0);
        }
        return next;
    }

    private static void Set(List<KeyValuePair<string, string>> headers, string key, string value)
    {
        int i = headers.FindIndex(kv => kv.Key == key);
        if (i >= 0) headers[i] = new(key, value);
        else headers.Add(new(key, value));
    }

    /// <summary>TarInfo._proc_pax's record parser: "%d %s=%s\n" records until the end or a NUL.</summary>
    private static List<KeyValuePair<string, string>> ParsePax(ReadOnlySpan<byte> buf)
    {
        var result = new List<KeyValuePair<string, string>>();
        int pos = 0;
        while (pos < buf.Length && buf[pos] != 0)
        {
            int digits = 0;
            while (pos + digits < buf.Length && digits < 21 && buf[pos + digits] is >= (byte)'0' and <= (
                byte)'9') digits++;
            if (digits == 0 || digits > 20 || pos + digits >= buf.Length || buf[pos + digits] != (byte)' ')
                throw new HeaderError("invalid header");
            if (!TarNumber.TryParseInt(buf.Slice(pos, digits), 10, out long length, emptyIsZero: false) || length < 5
                || pos + length > buf.Length)
                throw new HeaderError("invalid header");
            int last = pos + (int)length - 1;
            int kvStart = pos + digits + 1;
            if (kvStart > last) throw new HeaderError("invalid header");
            var kv = buf[kvStart..last];
            int eq = kv.IndexOf((byte)'=');
            if (eq <= 0 || buf[last] != (byte)'\n') throw new HeaderError("invalid header");
            result.Add(new(Encoding.UTF8.GetString(kv[..eq]), Encoding.UTF8.GetString(kv[(eq + 1)..])));
            pos += (int)length;
        }
        return result;
    }

    /// <summary>TarInfo._apply_pax_info.</summary>
    private static void Apply(Header h, List<KeyValuePair<string, string>> pax)
    {
        foreach (var (key, value) in pax)
            switch (key)
            {
                case "GNU.sparse.name": h.Name = value; break;
                case "GNU.sparse.size" or "GNU.sparse.realsize":
                    h.Size = PythonInt(value) ?? throw new OtherError(
                        $"PAX {key} '{value}' is not a number (ValueError)");
                    break;
                case "path": h.Name = value.TrimEnd('/'); break;
                case "linkpath": h.LinkName = value; break;
                case "size": h.Size = PythonInt(value) ?? 0; break;
            }
    }

    /// <summary>Python's <c>int(str)</c>: whitespace, a sign, underscores between digits, any Unicode decimal
    /// digit.</summary>
    internal static long? PythonInt(string s)
    {
        var ascii = new StringBuilder(s.Length);
        foreach (char c in s.Trim())
        {
            if (c > 0x7F && char.IsDigit(c)) ascii.Append((char)('0' + (int)char.GetNumericValue(c)));
            else if (c > 0x7F && !char.IsWhiteSpace(c)) return null;
            else ascii.Append(c);
        }
        var bytes = Encoding.ASCII.GetBytes(ascii.ToString());
        return TarNumber.TryParseInt(bytes, 10, out long v, emptyIsZero: false) ? v : null;
    }

    /// <summary>TarInfo.frombuf: checksum, number fields, names.</summary>
    private static Header Parse(ReadOnlySpan<byte> buf, bool dirCheck = true)
    {
        if (!TarNumber.TryParse(buf.Slice(148, 8), out long checksum)) throw new HeaderError("invalid header");
        long unsigned = 256, signed = 256;
        for (int i = 0; i < Block; i++)
        {
            if (i is >= 148 and < 156) continue;
            unsigned += buf[i];
            signed += (sbyte)buf[i];
        }
        if (checksum != unsigned && checksum != signed) throw new HeaderError("bad checksum");
        long size = 0;
        foreach (var (start, length) in NumberFields)
            if (!TarNumber.TryParse(buf.Slice(start, length), out long v)) throw new HeaderError("invalid header");
            else if (start == 124) size = v;
        var h = new Header { Name = CString(buf[..100]), Type = buf[156], LinkName = CString(buf.Slice(157, 100)),
            Size = size };
        if (h.Type == (byte)'S')
            for (int i = 0; i < 4; i++)
                if (!TarNumber.TryParse(buf.Slice(386 + 24 * i, 12), out _) || !TarNumber.TryParse(buf.Slice(398
                    + 24 * i, 12), out _)
                    || !TarNumber.TryParse(buf.Slice(483, 12), out _))
                    throw new HeaderError("invalid header");
        string prefix = CString(buf.Slice(345, 155));
        if (dirCheck && h.Type == 0 && h.Name.EndsWith('/')) h.Type = (byte)'5';
        if (h.Type == (byte)'5') h.Name = h.Name.TrimEnd('/');
        if (prefix.Length > 0 && h.Type is not ((byte)'L' or (byte)'K' or (byte)'S')) h.Name = prefix + "/" + h.Name;
        return h;
    }

    // mode, uid, gid, size, mtime, devmajor, devminor: every one goes through nti, so any can invalidate a header.
    private static readonly (int Start, int Length)[] NumberFields = [(100, 8), (108, 8), (116, 8), (124, 12), (136,
        12), (329, 8), (337, 8)];

    private static string CString(ReadOnlySpan<byte> b)
    {
        int z = b.IndexOf((byte)0);
        return Encoding.UTF8.GetString(z < 0 ? b : b[..z]);
    }
}
