using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Scanning;

namespace PtSharp.Cli.Output;

/// <summary>The JSON form of <c>pt scan</c>: one document with a report per file and a summary.</summary>
internal static class ScanJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Renders the reports (without a trailing newline).</summary>
    public static string Render(IReadOnlyList<ScanReport> reports, bool strict)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteBoolean("strict", strict);
            w.WriteStartArray("files");
            foreach (var r in reports) WriteReport(w, r, strict);
            w.WriteEndArray();
            w.WriteStartObject("summary");
            w.WriteNumber("files", reports.Count);
            w.WriteNumber("dangerous", reports.Count(r => r.IsDangerous));
            w.WriteNumber("warnings", reports.Count(r => !r.IsDangerous && r.Findings.Any(f => f.Severity == ScanSeverity.Warning)));
            w.WriteNumber("errors", reports.Count(r => r.Error is not null));
            w.WriteNumber("unreadable", reports.Count(r => !r.IsDangerous && r.Unreadable is not null));
            w.WriteBoolean("clean", reports.All(r => r.IsClean && r.Unreadable is null && !(strict && r.HasWarnings)));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteReport(Utf8JsonWriter w, ScanReport r, bool strict)
    {
        w.WriteStartObject();
        w.WriteString("path", r.Path);
        w.WriteNumber("bytes", r.Length);
        w.WriteString("container", ScanNames.Container(r.Container));
        w.WriteString("verdict", r.Error is not null ? "error" : r.IsDangerous ? "dangerous"
            : r.Unreadable is not null ? "unreadable" : !r.HasWarnings ? "clean" : "warnings");
        w.WriteBoolean("clean", r.IsClean && r.Unreadable is null && !(strict && r.HasWarnings));
        w.WriteNumber("pickles", r.PickleCount);
        w.WriteBoolean("malformed", r.IsMalformed);
        if (r.Error is not null) w.WriteString("error", r.Error);
        else if (r.Unreadable is { } why) w.WriteString("unreadable", why);
        w.WriteStartArray("globals");
        foreach (var g in r.Globals)
        {
            w.WriteStartObject();
            w.WriteString("global", g.FullName);
            w.WriteString("verdict", ScanNames.Verdict(g.Verdict));
            w.WriteString("record", g.Record);
            w.WriteNumber("offset", g.Offset);
            w.WriteNumber("count", g.Count);
            if (g.Reason is not null) w.WriteString("reason", g.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("findings");
        foreach (var f in r.Findings)
        {
            w.WriteStartObject();
            w.WriteString("severity", ScanNames.Severity(f.Severity));
            w.WriteString("kind", ScanNames.Kind(f.Kind));
            w.WriteString("global", f.Global);
            w.WriteString("record", f.Record);
            if (f.Offset is long o) w.WriteNumber("offset", o); else w.WriteNull("offset");
            if (f.FileOffset is long fo) w.WriteNumber("file_offset", fo); else w.WriteNull("file_offset");
            w.WriteString("message", f.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
