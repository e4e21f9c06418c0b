using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Cli;

/// <summary>
/// Packs both packages the way a release does (the library; the tool's top-level pointer package, its framework-
/// dependent <c>any</c> package and its Native AOT <c>linux-x64</c> package), installs the tool from that folder into
/// a temporary tool path and runs it. One pack per test run (the AOT compile takes a minute or two on 2 cores); the
/// build goes to its own artifacts folder, so it neither uses nor disturbs the repository's bin/ and obj/.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class ToolPackageTests : IClassFixture<ToolPackageTests.Packed>
{
    private readonly Packed _packed;

    public ToolPackageTests(Packed packed) => _packed = packed;

    /// <summary>The packages, packed once for the class, and the tool installed from them.</summary>
    public sealed class Packed : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("ptsharp-pack-").FullName;
        public string Feed => Path.Combine(Root, "feed");
        public string ToolPath => Path.Combine(Root, "tools");
        public string Version { get; } = ReadVersion();
        public string Log { get; }

        public Packed()
        {
            var artifacts = Path.Combine(Root, "artifacts");
            var log = new System.Text.StringBuilder();
            void Step(params string[] args) => log.AppendLine(Dotnet(TimeSpan.FromMinutes(15), args));
            Step("pack", "src/PtSharp/PtSharp.csproj", "-c", "Release", "-o", Feed, "--artifacts-path", artifacts);
            Step("pack", "src/PtSharp.Cli/PtSharp.Cli.csproj", "-c", "Release", "-o", Feed, "--artifacts-path", artifacts);
            Step("pack", "src/PtSharp.Cli/PtSharp.Cli.csproj", "-c", "Release", "-r", "any", "-o", Feed, "--artifacts-path", artifacts);
            Step("pack", "src/PtSharp.Cli/PtSharp.Cli.csproj", "-c", "Release", "-r", "linux-x64", "-o", Feed, "--artifacts-path", artifacts);
            Step("tool", "install", "PtSharp.Cli", "--version", Version, "--tool-path", ToolPath, "--add-source", Feed);
            Log = log.ToString();
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);

        private static string ReadVersion()
        {
            var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props"));
            return props.Descendants("VersionPrefix").Single().Value.Trim();
        }
    }

    /// <summary>Runs dotnet in the repository root; fails with its output when it fails.</summary>
    private static string Dotnet(TimeSpan timeout, params string[] args)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return Run(host, timeout, args);
    }

    private static string Run(string program, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(timeout), $"{program} {string.Join(' ', args)} did not finish in {timeout}");
        string all = stdout + stderr.Result;
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {p.ExitCode}:\n{all}");
        return all;
    }

    /// <summary>The trimmed output of a git command in the repository, or null when it fails.</summary>
    private static string? GitOutput(params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? stdout.Trim() : null;
    }

    private string Package(string id) => Path.Combine(_packed.Feed, $"{id}.{_packed.Version}.nupkg");

    private static List<string> Entries(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    private static XElement Nuspec(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var s = entry.Open();
        return XDocument.Load(s).Root!;
    }

    private static string? Meta(XElement nuspec, string name) =>
        nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void Installed_tool_prints_the_version_from_Directory_Build_props()
    {
        var pt = Path.Combine(_packed.ToolPath, "pt");
        Assert.Equal(_packed.Version, Run(pt, TimeSpan.FromSeconds(30), "--version").Trim());
    }

    [Fact]
    public void Installed_tool_is_the_native_aot_binary_and_inspects_the_sample()
    {
        var pt = Path.Combine(_packed.ToolPath, "pt");
        // On linux-x64 the CLI picks the RID-specific package: a native ELF executable, not a managed apphost + dll.
        var target = new FileInfo(pt).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? pt;
        Assert.Contains("ptsharp.cli.linux-x64", target, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "pt.dll")), "a managed pt.dll next to the native tool");
        var head = new byte[4];
        using (var f = File.OpenRead(target)) f.ReadExactly(head);
        Assert.Equal("\u007fELF"u8.ToArray(), head);

        string output = Run(pt, TimeSpan.FromSeconds(30), "inspect", "samples/tiny_mlp.pt");
        Assert.Contains("state_dict", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"fc1\.weight\s+float32\s+\[8, 4\]"), output);
        Assert.Contains("67 (268 bytes)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Tool_packages_carry_only_what_the_tool_needs()
    {
        var native = Entries(Package("PtSharp.Cli.linux-x64"));
        Assert.Contains("tools/any/linux-x64/pt", native);
        // The stripped binary and its settings: no pt.dbg (13 MB), no managed PDBs, DLLs or XML docs.
        Assert.Equal(
            ["tools/any/linux-x64/DotnetToolSettings.xml", "tools/any/linux-x64/pt"],
            native.Where(e => e.StartsWith("tools/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        var portable = Entries(Package("PtSharp.Cli.any"));
        Assert.Contains("tools/net10.0/any/pt.dll", portable);
        Assert.Contains("tools/net10.0/any/PtSharp.dll", portable);
        // No satellite-language folders (System.CommandLine brings 13: cs, de, es, ...): every file sits in any/.
        Assert.DoesNotContain(portable, e => e.StartsWith("tools/net10.0/any/", StringComparison.Ordinal) && e.Count(c => c == '/') > 3);
        Assert.DoesNotContain(portable, e => e.EndsWith("PtSharp.xml", StringComparison.Ordinal));

        var pointer = Entries(Package("PtSharp.Cli"));
        Assert.DoesNotContain(pointer, e => e.EndsWith(".dll", StringComparison.Ordinal) || e.EndsWith("/pt", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("PtSharp")]
    [InlineData("PtSharp.Cli")]
    [InlineData("PtSharp.Cli.any")]
    [InlineData("PtSharp.Cli.linux-x64")]
    public void Every_package_has_license_readme_repository_and_tags(string id)
    {
        var nupkg = Package(id);
        var entries = Entries(nupkg);
        Assert.Contains("LICENSE", entries);
        Assert.Contains("README.md", entries);
        var nuspec = Nuspec(nupkg);
        Assert.Equal(_packed.Version, Meta(nuspec, "version"));
        Assert.Equal("MIT", Meta(nuspec, "license"));
        Assert.Equal("README.md", Meta(nuspec, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Meta(nuspec, "authors")));
        Assert.False(string.IsNullOrWhiteSpace(Meta(nuspec, "description")));
        Assert.Contains("pytorch", Meta(nuspec, "tags") ?? "", StringComparison.Ordinal);
        var repository = nuspec.Descendants().Single(e => e.Name.LocalName == "repository");
        Assert.Equal(GitOutput("rev-parse", "HEAD"), repository.Attribute("commit")?.Value);
        // The address is the clone's origin when that is a public (https) URL, and none is made up otherwise.
        string? origin = GitOutput("remote", "get-url", "origin");
        if (origin is not null && origin.StartsWith("https://", StringComparison.Ordinal))
            Assert.Equal(origin, repository.Attribute("url")?.Value);
        else
            Assert.Null(repository.Attribute("url"));
    }

    [Fact]
    public void Library_and_portable_tool_have_symbol_packages()
    {
        foreach (var id in new[] { "PtSharp", "PtSharp.Cli.any" })
        {
            var snupkg = Path.ChangeExtension(Package(id), ".snupkg");
            Assert.True(File.Exists(snupkg), $"{snupkg} missing; packed:\n{_packed.Log}");
            Assert.Contains(Entries(snupkg), e => e.EndsWith(".pdb", StringComparison.Ordinal));
        }
    }
}
