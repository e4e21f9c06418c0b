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
        var scan = PtScanner.ScanFile(path);
        PtFile file;
        try
        {
            file = PtFile.Open(path, options.LoadOptions);
        }
        catch (PtFormatException e)
        {
            w.WriteStartObject("file");
            w.WriteString("name", System.IO.Path.GetFileName(path));
            w.WriteNumber("bytes", new FileInfo(path).Length);
            w.WriteString("error", e.Message);
            w.WriteEndObject();
            ReportJson.WriteScan(w, scan);
            return;
        }
        using (file)
        {
            var summaries = TensorSummarizer.Summarize(file.Tensors, options.Bins);
            OutlierRules.MarkStdOutliers(summaries,
                new HashSet<PtTensor>(file.StateDict.Select(t => t.Tensor), ReferenceEqualityComparer.Instance));
            WriteHeader(w, path, file, summaries);
            ReportJson.WriteScan(w, scan);
            w.WriteStartArray("modules");
            foreach (var (modulePath, cls) in ModuleClasses.Find(file.Root))
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
            if (file.Kind == PtKind.Checkpoint) CheckpointSection.Write(w, file.Root, index);
            if (options.DiffPath is { } other)
            {
                using var b = PtFile.Open(other, options.LoadOptions);
                DiffSection.Write(w, System.IO.Path.GetFileName(other), file.StateDict, b.StateDict, options.Bins);
            }
        }
    }

    private static void WriteHeader(Utf8JsonWriter w, string path, PtFile file, List<TensorSummary> summaries)
    {
        w.WriteStartObject("file");
        w.WriteString("name", System.IO.Path.GetFileName(path));
        w.WriteNumber("bytes", new FileInfo(path).Length);
        w.WriteString("format", file.Format.Name());
        if (file.FormatVersion is null) w.WriteNull("version"); else w.WriteString("version", file.FormatVersion);
        if (file.ArchiveName is null) w.WriteNull("archive"); else w.WriteString("archive", file.ArchiveName);
        w.WriteString("byteOrder", file.ByteOrder);
        w.WriteNumber("protocol", file.PickleProtocol);
        w.WriteString("kind", file.Kind.Name());
        w.WriteEndObject();

        // Parameters: the state dict's tensors, each piece of data once (tied weights count once).
        var seen = new HashSet<TensorSummarizer.DataKey>();
        var seenSparse = new HashSet<PtTensor>(ReferenceEqualityComparer.Instance);
        long parameters = 0, parameterBytes = 0;
        int stateDictTensors = 0;
        foreach (var (_, t) in file.StateDict)
        {
            stateDictTensors++;
            bool first = TensorSummarizer.DataKey.Of(t) is { } key ? seen.Add(key) : seenSparse.Add(t);
            if (!first) continue;
            parameters += t.ElementCount;
            parameterBytes += t.IsSparse ? t.SparseComponents.Sum(c => c.ByteCount) : t.ByteCount;
        }
        w.WriteStartObject("params");
        w.WriteNumber("count", parameters);
        w.WriteNumber("bytes", parameterBytes);
        w.WriteNumber("stateDictTensors", stateDictTensors);
        w.WriteNumber("tensors", summaries.Count);
        w.WriteNumber("tied", summaries.Count(s => s.TiedTo is not null));
        w.WriteNumber("tensorBytes", summaries.Where(s => s.TiedTo is null).Sum(s => s.Bytes));
        w.WriteEndObject();

        var byDType = summaries.Where(s => s.TiedTo is null)
            .GroupBy(s => s.Tensor.DType.Name())
            .Select(g => (DType: g.Key, Bytes: g.Sum(s => s.Bytes), Count: g.Count()))
            .OrderByDescending(x => x.Bytes).ThenBy(x => x.DType, StringComparer.Ordinal);
        w.WriteStartArray("dtypes");
        foreach (var (dtype, bytes, count) in byDType)
        {
            w.WriteStartArray();
            w.WriteStringValue(dtype);
            w.WriteNumberValue(bytes);
            w.WriteNumberValue(count);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
