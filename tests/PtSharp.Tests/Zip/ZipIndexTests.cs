using System.Buffers.Binary;
using System.Text;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tests.Support;

using P = PtSharp.Tests.Support.PickleBuilder;

namespace PtSharp.Tests.Zip;

/// <summary>
/// The zip reader's member index (<c>ZipArchiveReader</c>: names hashed from the central directory's bytes, members
/// described on demand): every name <see cref="PtFile.Entries"/> shows finds its member, the first of two equal
/// names wins, and overlapping members are refused whether or not the directory is in file order.
/// </summary>
public sealed class ZipIndexTests
{
    private static readonly byte[] EmptyDictPickle = P.Start().EmptyDict().Stop().ToArray();

    private static byte[] Build(params (string Name, byte[] Data)[] extra)
    {
        var z = ZipBuilder.Torch(EmptyDictPickle, []);
        foreach (var (name, data) in extra) z.Add(name, data);
        return z.Build();
    }

    /// <summary>Replaces every occurrence of <paramref name="from"/> with <paramref name="to"/> (same length).</summary>
    private static void Patch(byte[] file, string from, byte[] to)
    {
        var pattern = Encoding.ASCII.GetBytes(from);
        int found = 0;
        for (int i = file.AsSpan().IndexOf(pattern); i >= 0; i = IndexFrom(file, pattern, i + 1), found++)
            to.CopyTo(file, i);
        Assert.True(found >= 2, $"'{from}' should be in a local and a central header");
    }

    private static int IndexFrom(byte[] file, byte[] pattern, int start)
    {
        int i = file.AsSpan(start).IndexOf(pattern);
        return i < 0 ? -1 : start + i;
    }

    /// <summary>File offsets of the central-directory headers, in directory order.</summary>
    private static List<int> CentralHeaders(byte[] file)
    {
        var at = new List<int>();
        for (int i = file.AsSpan().IndexOf("PK\u0001\u0002"u8); i >= 0; i = IndexFrom(file, "PK\u0001\u0002"u8.ToArray(), i + 1)) at.Add(i);
        return at;
    }

    private static uint LocalHeaderOffset(byte[] file, int central) => BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(central + 42));
    private static void SetLocalHeaderOffset(byte[] file, int central, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(central + 42), value);

    [Fact]
    public void A_name_that_is_not_UTF8_is_found_by_the_name_Entries_shows()
    {
        var file = Build(("archive/extra/nameX", [1, 2, 3]));
        Patch(file, "nameX", [(byte)'n', (byte)'a', (byte)'m', (byte)'e', 0xFF]);
        using var pt = PtFile.Load(file);
        var shown = Assert.Single(pt.Entries, e => e.Name.StartsWith("archive/extra/", StringComparison.Ordinal)).Name;
        Assert.Equal("archive/extra/name\uFFFD", shown);
        Assert.Equal(new byte[] { 1, 2, 3 }, pt.ReadRecord(shown));
        Assert.Equal(new byte[] { 1, 2, 3 }, pt.ReadRecord("extra/name\uFFFD"));
    }

    [Fact]
    public void Of_two_members_with_one_name_the_first_is_found_and_both_are_listed()
    {
        var file = Build(("archive/extra/a", [1]), ("archive/extra/b", [2]));
        Patch(file, "extra/b", Encoding.ASCII.GetBytes("extra/a"));
        using var pt = PtFile.Load(file);
        Assert.Equal(2, pt.Entries.Count(e => e.Name == "archive/extra/a"));
        Assert.Equal(new byte[] { 1 }, pt.ReadRecord("extra/a"));
    }

    [Fact]
    public void Many_members_are_all_found_by_name_and_listed_in_directory_order()
    {
        var members = Enumerable.Range(0, 3000).Select(i => ($"archive/extra/{i * 7919 % 3001}", new[] { (byte)(i % 251) })).ToArray();
        using var pt = PtFile.Load(Build(members));
        Assert.Equal(members.Select(m => m.Item1), pt.Entries.Where(e => e.Name.StartsWith("archive/extra/", StringComparison.Ordinal)).Select(e => e.Name));
        foreach (var (name, data) in members) Assert.Equal(data, pt.ReadRecord(name));
        Assert.Throws<KeyNotFoundException>(() => pt.ReadRecord("extra/3001"));
    }

    [Fact]
    public void Overlapping_members_are_refused_in_file_order()
    {
        var file = Build(("archive/extra/a", [1, 2, 3, 4]), ("archive/extra/b", [5, 6, 7, 8]));
        var central = CentralHeaders(file);
        SetLocalHeaderOffset(file, central[^1], LocalHeaderOffset(file, central[^2])); // b points at a's local header
        var error = Assert.Throws<PtFormatException>(() => PtFile.Load(file));
        Assert.Equal(PtErrorKind.CorruptContainer, error.Kind);
        Assert.Contains("overlap", error.Message);
    }

    [Fact]
    public void Overlapping_members_are_refused_when_the_directory_is_out_of_file_order()
    {
        var file = Build(("archive/extra/a", [1, 2, 3, 4]), ("archive/extra/b", [5, 6, 7, 8]), ("archive/extra/c", [9, 10, 11, 12]));
        var central = CentralHeaders(file);
        uint a = LocalHeaderOffset(file, central[^3]), c = LocalHeaderOffset(file, central[^1]);
        SetLocalHeaderOffset(file, central[^3], c); // directory order: c's header, then a's twice
        SetLocalHeaderOffset(file, central[^2], a);
        SetLocalHeaderOffset(file, central[^1], a);
        var error = Assert.Throws<PtFormatException>(() => PtFile.Load(file));
        Assert.Equal(PtErrorKind.CorruptContainer, error.Kind);
        Assert.Contains("overlap", error.Message);
    }

    [Fact]
    public void Members_listed_out_of_file_order_without_overlap_still_load()
    {
        var file = Build(("archive/extra/a", [1, 2, 3, 4]), ("archive/extra/b", [5, 6, 7, 8]));
        var central = CentralHeaders(file);
        uint a = LocalHeaderOffset(file, central[^2]), b = LocalHeaderOffset(file, central[^1]);
        SetLocalHeaderOffset(file, central[^2], b); // the directory names swap places; each still points at a whole member
        SetLocalHeaderOffset(file, central[^1], a);
        using var pt = PtFile.Load(file);
        Assert.Equal(new byte[] { 5, 6, 7, 8 }, pt.ReadRecord("extra/a"));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, pt.ReadRecord("extra/b"));
    }
}
