using System.Text.Json;
using System.Text;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Report.Data;
using PtSharp.Report.Html;
using PtSharp.Scanning;
using PtSharp.Tensors;

namespace PtSharp.Report;

/// <summary>
/// Writes one self-contained HTML page about a <c>.pt</c> file: format facts, scan verdict, module tree and
/// treemap, per-tensor statistics with histograms, checkpoint scalars and optimizer state, and optionally the
/// differences from a second file. The page makes no network request (its Content-Security-Policy forbids any),
/// and the same input always gives the same bytes.
/// </summary>
public static class HtmlReport
{
    /// <summary>Builds the report of <paramref name="path"/> and returns the page as UTF-8 bytes.</summary>
    /// <exception cref="PtFormatException">The diff file cannot be read. (An unreadable main file still gets a page:
    /// its scan and the error.)</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static byte[] Render(string path, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new ReportOptions();
        if (options.Bins is < 4 or > 256) throw new ArgumentOutOfRangeException(nameof(options),
            "Bins must be between 4 and 256");
        string name = System.IO.Path.GetFileName(path);
        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, ReportJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            w.WriteNumber("bins", options.Bins);
            WriteFile(w, path, options);
            w.WriteEndObject();
        }
        return HtmlPage.Render("pt report: " + name, json.ToArray());
    }

    /// <summary>
    /// Writes the report of <paramref name="path"/> to <paramref name="output"/> (a temporary file, then renamed into
    /// place).
    /// </summary>
    public static void Write(string path, string output, ReportOptions? options = null) =>
        WritePage(Render(path, options), output);

    /// <summary>
    /// Writes a rendered page to <paramref name="output"/> through a temporary file in the same folder.
    /// </summary>
    public static void WritePage(byte[] page, string output)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(output);
        string full = System.IO.Path.GetFullPath(output);
        string temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, "."
            + System.IO.Path.GetFileName(full) + ".tmp" + Environment.ProcessId);
        try
        {
            File.WriteAllBytes(temp, page);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static void WriteFile(Utf8JsonWriter w, string path, ReportOptions options)
    {
        var openOptions = new CheckpointOptions { PtOptions = options.LoadOptions };
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Open(path, openOptions);
        }
        catch (PtFormatException e) when (File.Exists(path))
        {
            w.WriteStartObject("file");
            w.WriteString("name", System.IO.Path.GetFileName(path));
            w.WriteNumber("bytes", new FileInfo(path).Length);
            w.WriteString("error", e.Message);
            w.WriteEndObject();
            ReportJson.WriteScan(w, [PtScanner.ScanFile(path)]);
            return;
        }
        using (checkpoint)
        {
            var summaries = TensorSummarizer.Summarize(checkpoint.Tensors, options.Bins);
            var model = new HashSet<TensorSummarizer.DataKey>(
                checkpoint.StateDict.Select(t => TensorSummarizer.DataKey.Of(t.Tensor)).OfType<TensorSummarizer.DataKey>());
            OutlierRules.MarkStdOutliers(summaries, model);
            WriteHeader(w, path, checkpoint, summaries);
            ReportJson.WriteScan(w, checkpoint.Files.Select(f => PtScanner.ScanFile(f)).ToList());
            w.WriteStartArray("modules");
            foreach (var (modulePath, cls) in ModuleClasses.Find(checkpoint.Root))
            {
                w.WriteStartArray();
                w.WriteStringValue(modulePath);
                w.WriteStringValue(cls);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            ReportJson.WriteTensors(w, summaries);
            var index = new Dictionary<PtTensor, int>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < summaries.Count; i++) index.TryAdd(summaries[i].Tensor, i);
            if (checkpoint.Kind == PtKind.Checkpoint) CheckpointSection.Write(w, checkpoint.Root, index);
            if (options.DiffPath is { } other)
            {
                using var b = Checkpoint.Open(other, openOptions);
                DiffSection.Write(w, System.IO.Path.GetFileName(other), checkpoint.StateDict, b.StateDict, options.Bins);
            }
        }
    }

    private static void WriteHeader(Utf8JsonWriter w, string path, Checkpoint checkpoint, List<TensorSummary> summaries)
    {
        var pt = checkpoint.PtFile;
        w.WriteStartObject("file");
        w.WriteString("name", System.IO.Path.GetFileName(path));
        w.WriteNumber("bytes", checkpoint.Files.Sum(f => new FileInfo(f).Length));
        w.WriteNumber("files", checkpoint.Files.Count);
        w.WriteString("format", pt?.Format.Name() ?? checkpoint.Format.Name());
        if (pt?.FormatVersion is { } version) w.WriteString("version", version); else w.WriteNull("version");
        if (pt?.ArchiveName is { } archive) w.WriteString("archive", archive); else w.WriteNull("archive");
        w.WriteString("byteOrder", pt?.ByteOrder ?? "little");
        if (pt is null) w.WriteNull("protocol"); else w.WriteNumber("protocol", pt.PickleProtocol);
        w.WriteString("kind", checkpoint.Kind.Name());
        w.WriteEndObject();

        // Counted by Checkpoint.ParameterCount: unique parameters (a tied weight once), buffers, other tensors.
        var count = checkpoint.ParameterCount;
        w.WriteStartObject("params");
        w.WriteNumber("count", count.Parameters);
        w.WriteNumber("bytes", count.ParameterBytes);
        w.WriteNumber("parameterTensors", count.ParameterTensors);
        w.WriteNumber("buffers", count.Buffers);
        w.WriteNumber("bufferTensors", count.BufferTensors);
        w.WriteNumber("other", count.Other);
        w.WriteNumber("otherTensors", count.OtherTensors);
        w.WriteNumber("tiedNames", count.TiedNames);
        w.WriteNumber("tensors", summaries.Count);
        w.WriteNumber("tied", summaries.Count(s => s.TiedTo is not null));
        w.WriteNumber("tensorBytes", summaries.Where(s => s.TiedTo is null).Sum(s => s.Bytes));
        w.WriteEndObject();

        var byDType = summaries.Where(s => s.TiedTo is null)
            .GroupBy(s => s.Tensor.DType.Name())
            .Select(g => (DType: g.Key, Bytes: g.Sum(s => s.Bytes), Count: g.Count()))
            .OrderByDescending(x => x.Bytes).ThenBy(x => x.DType, StringComparer.Ordinal);
        w.WriteStartArray("dtypes");
        foreach (var (dtype, bytes, n) in byDType)
        {
            w.WriteStartArray();
            w.WriteStringValue(dtype);
            w.WriteNumberValue(bytes);
            w.WriteNumberValue(n);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
