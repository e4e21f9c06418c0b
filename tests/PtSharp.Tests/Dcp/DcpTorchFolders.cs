using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Dcp;

/// <summary>
/// DCP folders written once per test class by real torch 2.6 (tests/interop/dcp_fixtures.py: one process; two and
/// four gloo processes with DTensor shards; model + AdamW state) with <c>dcp_to_torch_save</c> of each next to it.
/// </summary>
public sealed class DcpTorchFolders : IDisposable
{
    public static readonly string[] Cases = ["single", "threads", "ranks2", "ranks4"];

    public DcpTorchFolders()
    {
        Available = Oracle.IsAvailable("2.6");
        if (!Available) return;
        Root = Directory.CreateTempSubdirectory("ptsharp-dcp-").FullName;
        var (code, stdout, stderr) = Oracle.Run("2.6", [Path.Combine(RepoPaths.Root, "tests", "interop", "dcp_fixtures.py"), Root], TimeSpan.FromMinutes(10));
        if (code != 0) throw new InvalidOperationException($"dcp_fixtures.py failed ({code}): {stderr}\n{stdout}");
    }

    public bool Available { get; }

    public string Root { get; } = "";

    public string Folder(string name) => Path.Combine(Root, name);

    public string Reference(string name) => Path.Combine(Root, name + ".pt");

    public void Dispose()
    {
        if (Root.Length > 0) try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
