using System.Text.Json;
using PtSharp.Containers;
using PtSharp.IO;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>
/// Differential tests of the container walkers against the real readers: Python/container_oracle.py writes ~90 tar
/// files (by tarfile and with hand-mutated headers) and ~1,100 .npy headers, then reports what tarfile's
/// getmembers() and numpy's header parser make of each, in one process per Python (3.11 + numpy 1.24 = torch
/// 1.13's, 3.13 + numpy 2.x = torch 2.6's). The walkers must agree on every member boundary and error, and must
/// never call an array plain that numpy unpickles.
/// </summary>
public sealed class ContainerOracleTests
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "tests", "PtSharp.Tests", "Scanning",
        "Python", "container_oracle.py");

    private static (JsonDocument Doc, string Dir)? Run(string version)
    {
        if (version == "1.13" && !File.Exists("/usr/bin/python3"))
        {
            Assert.False(RepoPaths.IsCi, "python3 is required under CI");
            return null;
        }
        string dir = Path.Combine(Path.GetTempPath(), "ptsharp-container-oracle-" + Guid.NewGuid().ToString("N"));
        var (code, stdout, stderr) = Oracle.Run(version, [Script, dir], TimeSpan.FromMinutes(3));
        if (version == "2.6" && code != 0 && !RepoPaths.IsCi && stderr.Contains("oracle.sh",
            StringComparison.Ordinal)) return null;
        Assert.True(code == 0, stderr);
        return (JsonDocument.Parse(stdout), dir);
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public unsafe void Tar_walker_lists_the_members_tarfile_lists(string version)
    {
        if (Run(version) is not var (doc, dir)) return;
        try
        {
            bool py313 = doc.RootElement.GetProperty("python").GetString()!.StartsWith("3.13",
                StringComparison.Ordinal);
            var failures = new List<string>();
            int count = 0;
            foreach (var c in doc.RootElement.GetProperty("tar").EnumerateObject())
            {
                count++;
                var bytes = PinnedBytes.CopyOf(File.ReadAllBytes(Path.Combine(dir, c.Name + ".tar")));
                var listing = TarWalker.Walk(new ByteWindow(bytes, 0, bytes.Length), py313);
                string ours = listing.Outcome switch
                {
                    TarOutcome.ReadError => "error ReadError",
                    TarOutcome.Failure => "error Other",
                    _ => string.Join(" | ", listing.Members.Select(
                        m => $"{m.Name} {(char)m.Type} {m.DataOffset} {m.Size}")),
                };
                string theirs = c.Value.TryGetProperty("error", out var e)
                    ? "error " + e.GetString()!.Split(':')[0]
                    : string.Join(" | ", c.Value.GetProperty("members").EnumerateArray()
                        .Select(m => $"{m[0].GetString()} {m[1].GetString()} {m[2].GetInt64()} {m[3].GetInt64()}"));
                if (ours != theirs) failures.Add($"{c.Name}: tarfile [{theirs}] walker [{ours}]");
            }
            Assert.True(count >= 80, $"{count} tar cases");
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("1.13")]
    [InlineData("2.6")]
    public void Npy_header_reader_never_calls_an_array_plain_that_numpy_unpickles(string version)
    {
        if (Run(version) is not var (doc, dir)) return;
        try
        {
            var missed = new List<string>();
            var overcalled = new List<string>();
            var counts = new Dictionary<string, int>();
            foreach (var c in doc.RootElement.GetProperty("npy").EnumerateObject())
            {
                string numpy = c.Value.GetString()!;
                counts[numpy] = counts.GetValueOrDefault(numpy) + 1;
                var header = NpyHeader.Read(File.ReadAllBytes(Path.Combine(dir, c.Name + ".npy")));
                Assert.NotNull(header);
                var ours = header.Refused is null ? header.Objects : NpyObjects.No;
                if (numpy == "object" && ours == NpyObjects.No) missed.Add($"{c.Name} ({header.Refused ?? "plain"})");
                if (numpy == "plain" && ours == NpyObjects.Yes) overcalled.Add(c.Name);
            }
            Assert.True(counts.GetValueOrDefault("object") > 300 && counts.GetValueOrDefault("plain") > 100,
                string.Join(",", counts));
            Assert.True(missed.Count == 0, "numpy unpickles, the reader says plain: " + string.Join(", ", missed));
            Assert.True(overcalled.Count == 0, "numpy reads raw data, the reader says objects: " + string.Join(", ",
                overcalled));
        }
        finally { Directory.Delete(dir, true); }
    }
}
