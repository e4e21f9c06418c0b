using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Scanning;

namespace PtSharp.Cli.Output;

/// <summary>
/// SARIF 2.1.0 (OASIS) for code-scanning pipelines: one run, one rule per finding kind, one result per finding.
/// Severity maps to level: dangerous → error, warning → warning (error with --strict), info → note.
/// </summary>
internal static class ScanSarif
{
    private const string Schema = "https://json.schemastore.org/sarif-2.1.0.json";
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Renders the log.</summary>
    public static string Render(IReadOnlyList<ScanReport> reports, bool strict)
    {
        var kinds = Enum.GetValues<ScanFindingKind>();
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("$schema", Schema);
            w.WriteString("version", "2.1.0");
            w.WriteStartArray("runs");
            w.WriteStartObject();
            w.WriteStartObject("tool");
            w.WriteStartObject("driver");
            w.WriteString("name", "pt scan");
            w.WriteString("fullName", "PtSharp pickle model scanner");
            w.WriteString("version", typeof(PtScanner).Assembly.GetName().Version?.ToString() ?? "0.0.0");
            w.WriteStartArray("rules");
            foreach (var k in kinds)
            {
                w.WriteStartObject();
                w.WriteString("id", ScanNames.Kind(k));
                w.WriteString("name", k.ToString());
                w.WriteStartObject("shortDescription");
                w.WriteString("text", Describe(k));
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartArray("results");
            foreach (var r in reports)
                foreach (var f in r.Findings)
                {
                    w.WriteStartObject();
                    w.WriteString("ruleId", ScanNames.Kind(f.Kind));
                    w.WriteNumber("ruleIndex", Array.IndexOf(kinds, f.Kind));
                    w.WriteString("level", f.Severity switch
                    {
                        ScanSeverity.Dangerous => "error",
                        ScanSeverity.Warning => strict ? "error" : "warning",
                        _ => "note",
                    });
                    w.WriteStartObject("message");
                    w.WriteString("text", f.Global is null ? f.Message : $"{f.Global}: {f.Message}");
                    w.WriteEndObject();
                    w.WriteStartArray("locations");
                    w.WriteStartObject();
                    w.WriteStartObject("physicalLocation");
                    w.WriteStartObject("artifactLocation");
                    w.WriteString("uri", Uri(r.Path));
                    w.WriteEndObject();
                    if (f.FileOffset is long fo || f.Record is null && f.Offset is long o2 && (fo = o2) >= 0)
                    {
                        w.WriteStartObject("region");
                        w.WriteNumber("byteOffset", fo);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                    if (f.Record is not null)
                    {
                        w.WriteStartArray("logicalLocations");
                        w.WriteStartObject();
                        w.WriteString("name", f.Record);
                        w.WriteString("kind", "member");
                        w.WriteEndObject();
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteStartObject("properties");
                    w.WriteString("severity", ScanNames.Severity(f.Severity));
                    if (f.Global is not null) w.WriteString("global", f.Global);
                    if (f.Record is not null) w.WriteString("record", f.Record);
                    if (f.Offset is long o) w.WriteNumber("recordOffset", o);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            w.WriteEndArray();
            w.WriteStartArray("artifacts");
            foreach (var r in reports)
            {
                w.WriteStartObject();
                w.WriteStartObject("location");
                w.WriteString("uri", Uri(r.Path));
                w.WriteEndObject();
                w.WriteNumber("length", r.Length);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + Environment.NewLine;
    }

    /// <summary>A relative path as a URI reference with '/' separators; absolute paths as file URIs.</summary>
    private static string Uri(string path)
    {
        string p = path.Replace('\\', '/');
        if (Path.IsPathRooted(path)) return new Uri(Path.GetFullPath(path)).AbsoluteUri;
        return string.Join('/', p.Split('/').Select(System.Uri.EscapeDataString));
    }

    private static string Describe(ScanFindingKind k) => k switch
    {
        ScanFindingKind.DangerousGlobal => "A pickle references a denylisted global (code execution, process, file, network, import, attribute resolution, nested loader, debugger).",
        ScanFindingKind.UnknownGlobal => "A pickle references a global outside torch's weights-only allowlist.",
        ScanFindingKind.UnresolvableGlobal => "A global cannot be resolved statically (STACK_GLOBAL on computed strings, extension codes).",
        ScanFindingKind.IndirectCall => "A pickle calls the result of another call (getattr chains).",
        ScanFindingKind.NestedPickle => "A pickle hands bytes to a loader function; they are scanned as a nested pickle.",
        ScanFindingKind.MalformedPickle => "A pickle is malformed; an unpickler runs everything before the error.",
        ScanFindingKind.FrameViolation => "An opcode crosses a pickle FRAME boundary.",
        ScanFindingKind.Unscannable => "Content that cannot be scanned (7z, encrypted or unsupported compression).",
        ScanFindingKind.ZipNameMismatch => "A zip member's local and central names differ.",
        ScanFindingKind.ZipDuplicateName => "Two zip members have the same name.",
        ScanFindingKind.ZipOverlap => "Zip members share bytes or overlap the central directory.",
        ScanFindingKind.ZipOutOfDirectory => "A zip member lies outside the archive.",
        ScanFindingKind.ZipEncrypted => "A zip member has the encryption flag set.",
        ScanFindingKind.ZipPrefixMismatch => "A zip member is outside the archive folder torch uses.",
        ScanFindingKind.ZipExtraData => "Bytes before, between or after the zip members.",
        ScanFindingKind.ZipBomb => "A zip member exceeds the decompression limits or inflates to a different size.",
        ScanFindingKind.CorruptContainer => "The container is damaged.",
        ScanFindingKind.TrailingData => "Data after the pickle's STOP opcode.",
        ScanFindingKind.NotAModel => "Not a pickle-based model file.",
        ScanFindingKind.LimitReached => "A scan limit was reached.",
        ScanFindingKind.ContainerMismatch =>
            "Readers of this container (torch, Python's zipfile, two tarfile versions) disagree on its content.",
        _ => k.ToString(),
    };
}
