using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Tensors;
using PtSharp.Transforms;
using PtSharp.Writing;

namespace PtSharp.Conversion;

/// <summary>
/// The conversion <c>pt convert</c> runs: read any checkpoint (<see cref="Checkpoint"/>), apply key surgery
/// (<see cref="KeyTransform"/>) and dtype casts (<see cref="DTypeCast"/>), and write .pt or safetensors, whole or
/// sharded (<see cref="CheckpointWriter"/>), verifying the output by reading it back.
/// </summary>
/// <remarks>
/// A .pt → .pt conversion without key surgery, casts, sharding or <see cref="ConvertOptions.StateDictOnly"/> keeps
/// the whole object tree (optimizer state, epoch counters...). Every other conversion writes the state dict, and
/// the values of the input it leaves out are listed in <see cref="ConvertReport.OtherValues"/>.
/// </remarks>
public static class CheckpointConverter
{
    /// <summary>Converts <paramref name="input"/> to <paramref name="output"/>.</summary>
    /// <exception cref="PtFormatException">The input cannot be read.</exception>
    /// <exception cref="KeyNotFoundException"><see cref="ConvertOptions.Key"/> names nothing.</exception>
    /// <exception cref="ArgumentException">An option is invalid (a bad pattern, <c>--key</c> for a safetensors input...).</exception>
    /// <exception cref="KeyCollisionException">Key surgery maps two keys to one name.</exception>
    /// <exception cref="PtWriteException">A tensor cannot be written in the output format, or the output did not verify.</exception>
    /// <exception cref="IOException">Reading or writing failed.</exception>
    public static ConvertReport Convert(string input, string output, ConvertOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        var outFormat = options.OutputFormat ?? CheckpointFormatNames.ForOutputPath(output);
        using var source = Checkpoint.Open(input, new CheckpointOptions { StateDictKey = options.Key, PtOptions = options.PtOptions });
        var report = new ConvertReport { InputFormat = source.Format, OutputFormat = outFormat };
        report.Notes.AddRange(source.Notes);

        bool wholeObject = source.PtFile is { } pt && pt.Format != PtFormat.TorchScript && outFormat == CheckpointFormat.Pt
            && !options.StateDictOnly && options.Keys.IsEmpty && options.DType is null && options.MaxShardSize is null
            && !output.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase);
        if (wholeObject)
        {
            WriteWholeObject(source, output, options, report);
            return report;
        }
        bool nestedToDcp = outFormat == CheckpointFormat.Dcp && source.Root is Pickle.PyDict
            && (source.PtFile is { Format: not PtFormat.TorchScript } || source.Dcp is not null)
            && !options.StateDictOnly && options.Keys.IsEmpty && options.DType is null && options.Key is null
            && options.MaxShardSize is null;
        if (nestedToDcp)
        {
            WriteNestedToDcp(source, output, options, report);
            return report;
        }
        bool nestedDcp = source.Dcp is not null && outFormat == CheckpointFormat.Pt && !options.StateDictOnly && options.Keys.IsEmpty
            && options.DType is null && options.MaxShardSize is null && !output.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase);
        if (nestedDcp)
        {
            WriteNestedDcp(source, output, options, report);
            return report;
        }

        IReadOnlyList<NamedTensor> tensors = source.StateDict;
        if (!options.Keys.IsEmpty)
        {
            var keys = KeyTransform.Apply(tensors, options.Keys);
            tensors = keys.Tensors;
            report.KeyRules.AddRange(keys.Rules);
            report.Warnings.AddRange(keys.Warnings);
            if (tensors.Count == 0 && options.Keys.Include.Count > 0)
                throw new KeyNotFoundException($"no key matches the include pattern{(options.Keys.Include.Count == 1 ? "" : "s")} " +
                    string.Join(", ", options.Keys.Include.Select(p => "'" + p + "'")) + $" ({source.Tensors.Count} keys in the input): nothing would be written");
        }
        if (options.DType is DType target)
        {
            var castOptions = new CastOptions { Target = target };
            foreach (var p in options.DTypeInclude) castOptions.Include.Add(p);
            var cast = DTypeCast.Apply(tensors, castOptions);
            // A cast keeps the names, so the modules' _metadata still applies (key surgery drops it).
            tensors = options.Keys.IsEmpty ? new StateDict(cast.Tensors, source.StateDict.Metadata) : cast.Tensors;
            report.Cast = cast;
            report.KeyRules.AddRange(cast.Rules);
            report.Warnings.AddRange(cast.Warnings);
        }
        report.OtherValues.AddRange(source.OtherValues);
        report.TensorCount = tensors.Count;
        if (options.DryRun)
        {
            foreach (var (path, planned) in CheckpointWriter.PlanFiles(output, tensors, options.MaxShardSize, outFormat))
                report.Planned.Add(new PlannedFile(path, planned));
            return report;
        }
        options.OnWriteStart?.Invoke(tensors.Select(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount).Sum());

        if (outFormat == CheckpointFormat.Dcp)
        {
            if (options.MaxShardSize is not null) throw new ArgumentException("--max-shard-size does not apply to a distributed checkpoint; use --writers");
            var dcp = Dcp.DcpWriter.Save(output, tensors, new Dcp.DcpSaveOptions { Writers = options.Writers, Verify = options.Verify });
            report.Files.AddRange(dcp.DataFiles.Prepend(".metadata").Select(f => Path.Combine(dcp.Folder, f)));
            report.Bytes = dcp.Bytes;
            report.Verified = options.Verify;
            return report;
        }
        var metadata = outFormat == CheckpointFormat.Safetensors && source.Format == CheckpointFormat.Safetensors ? source.Metadata : null;
        var written = CheckpointWriter.Save(output, tensors, new CheckpointSaveOptions
        {
            Format = outFormat,
            MaxShardSize = options.MaxShardSize,
            Metadata = metadata,
            Verify = options.Verify,
            Progress = options.Progress,
            Cancellation = options.Cancellation,
        });
        report.Files.AddRange(written.Files);
        report.IndexPath = written.IndexPath;
        report.Bytes = written.TotalSize;
        foreach (var (a, k) in written.Aliases) report.Aliases[a] = k;
        report.Verified = written.Verified;
        return report;
    }

    private static void WriteWholeObject(Checkpoint source, string output, ConvertOptions options, ConvertReport report)
    {
        var file = source.PtFile!;
        object? value = file.Root;
        if (options.Key is not null) file.TryGetPath(options.Key, out value);
        var expected = options.Key is null ? file.Tensors : TensorsAsRoot(file, value);
        if (options.DryRun)
        {
            report.WholeObject = true;
            report.TensorCount = expected.Count;
            report.Planned.Add(new PlannedFile(Path.GetFullPath(output), expected));
            return;
        }
        options.OnWriteStart?.Invoke(expected.Select(t => t.Tensor.Storage).Where(s => s is not null).Distinct(ReferenceEqualityComparer.Instance).Sum(s => ((PtStorage)s!).ByteLength));
        // The written file is read back and compared before it replaces the output, so a failed check loses nothing.
        PtWriter.Save(output, value, new PtSaveOptions { Progress = options.Progress, Cancellation = options.Cancellation }, !options.Verify ? null : temp =>
        {
            using var back = PtFile.Open(temp);
            TensorEquality.Verify(expected, back.Tensors, Path.GetFileName(output));
        });
        report.WholeObject = true;
        report.Files.Add(Path.GetFullPath(output));
        report.TensorCount = expected.Count;
        report.Bytes = expected.Select(t => t.Tensor.Storage).Where(s => s is not null).Distinct(ReferenceEqualityComparer.Instance).Sum(s => ((PtStorage)s!).ByteLength);
        report.Verified = options.Verify;
    }

    /// <summary>
    /// A DCP folder to .pt as <c>dcp_to_torch_save</c> writes it: the nested state dict that was saved (model,
    /// optimizer state, counters), verified tensor by tensor against the folder.
    /// </summary>
    private static void WriteNestedDcp(Checkpoint source, string output, ConvertOptions options, ConvertReport report)
    {
        var dcp = source.Dcp!;
        var root = dcp.ToNestedStateDict();
        options.OnWriteStart?.Invoke(dcp.Tensors.Sum(t => t.Tensor.ByteCount));
        PtWriter.Save(output, root, new PtSaveOptions { Progress = options.Progress }, !options.Verify ? null : temp =>
        {
            using var back = PtFile.Open(temp);
            var byName = back.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var t in dcp.Tensors)
            {
                if (!byName.TryGetValue(t.Name, out var b)) throw new PtWriteException($"'{t.Name}' is missing from the written file", t.Name);
                TensorEquality.Verify([t], [new NamedTensor(t.Name, b.Tensor)], Path.GetFileName(output));
            }
        });
        report.WholeObject = true;
        report.Files.Add(Path.GetFullPath(output));
        report.TensorCount = dcp.Tensors.Count;
        report.Bytes = dcp.Tensors.Sum(t => t.Tensor.ByteCount);
        report.Verified = options.Verify;
    }

    /// <summary>
    /// A .pt checkpoint (or a DCP folder) to a DCP folder as torch's <c>dcp.save</c> writes its nested state: model,
    /// optimizer state and counters under their flattened names, non-tensor values as bytes items.
    /// </summary>
    private static void WriteNestedToDcp(Checkpoint source, string output, ConvertOptions options, ConvertReport report)
    {
        var root = (Pickle.PyDict)source.Root!;
        var entries = Dcp.DcpFlattening.Flatten(root);
        var tensors = entries.Where(e => e.Value is PtTensor)
            .Select(e => new NamedTensor(e.Name, (PtTensor)e.Value!)).ToList();
        report.TensorCount = tensors.Count;
        if (options.DryRun)
        {
            foreach (var (path, planned) in CheckpointWriter.PlanFiles(output, tensors, null, CheckpointFormat.Dcp))
                report.Planned.Add(new PlannedFile(path, planned));
            return;
        }
        options.OnWriteStart?.Invoke(tensors.Select(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount).Sum());
        var dcp = Dcp.DcpWriter.SaveState(output, root,
            new Dcp.DcpSaveOptions { Writers = options.Writers, Verify = options.Verify });
        report.Files.AddRange(dcp.DataFiles.Prepend(".metadata").Select(f => Path.Combine(dcp.Folder, f)));
        report.Bytes = dcp.Bytes;
        report.Verified = options.Verify;
        int values = entries.Count - tensors.Count;
        if (values > 0)
            report.Notes.Add($"{values} non-tensor value{(values == 1 ? "" : "s")} written as pickled bytes items");
    }

    /// <summary>
    /// The tensors of <paramref name="value"/> named as <see cref="PtFile.Tensors"/> names them when
    /// <paramref name="value"/> is the root: the same walk, run on a one-item list and with its <c>0.</c> prefix removed.
    /// </summary>
    private static IReadOnlyList<NamedTensor> TensorsAsRoot(PtFile file, object? value) =>
        file.StateDictOf(new Pickle.PyList { value })
            .Select(t => new NamedTensor(t.Name == "0" ? "" : t.Name.StartsWith("0.", StringComparison.Ordinal) ? t.Name[2..] : t.Name, t.Tensor))
            .ToList();
}

/// <summary>Options for <see cref="CheckpointConverter.Convert"/>.</summary>
public sealed class ConvertOptions
{
    /// <summary>A dotted path to the entry of a .pt file to convert (e.g. <c>model_state_dict</c>), or <see langword="null"/>.</summary>
    public string? Key { get; set; }

    /// <summary>Write only the state dict even for a .pt → .pt conversion (<c>--state-dict</c>).</summary>
    public bool StateDictOnly { get; set; }

    /// <summary>Key surgery.</summary>
    public KeyTransformOptions Keys { get; } = new();

    /// <summary>Cast floating tensors to this dtype, or <see langword="null"/>.</summary>
    public DType? DType { get; set; }

    /// <summary>When given, only keys matching one of these patterns are cast.</summary>
    public IList<string> DTypeInclude { get; } = [];

    /// <summary>Shard the output at this many bytes, or <see langword="null"/>.</summary>
    public long? MaxShardSize { get; set; }

    /// <summary><see cref="CheckpointFormat.Pt"/> or <see cref="CheckpointFormat.Safetensors"/>; <see langword="null"/> picks by the output's extension.</summary>
    public CheckpointFormat? OutputFormat { get; set; }

    /// <summary>For <see cref="CheckpointFormat.Dcp"/> output, the number of writers (ranks, one .distcp file each).</summary>
    public int Writers { get; set; } = 1;

    /// <summary>Read the output back and compare every tensor (default true).</summary>
    public bool Verify { get; set; } = true;

    /// <summary>Options for reading .pt input.</summary>
    public PtLoadOptions? PtOptions { get; set; }

    /// <summary>Receives the number of tensor bytes written so far.</summary>
    public IProgress<long>? Progress { get; set; }

    /// <summary>
    /// Stops the write between chunks with <see cref="OperationCanceledException"/>; the temporary file is deleted
    /// and the output is left as it was.
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>
    /// Read and transform the input, plan the output files (<see cref="ConvertReport.Planned"/>) and stop: nothing
    /// is written.
    /// </summary>
    public bool DryRun { get; set; }

    /// <summary>Called once the input is read and transformed, just before writing starts, with the number of tensor bytes to write.</summary>
    public Action<long>? OnWriteStart { get; set; }
}

/// <summary>What <see cref="CheckpointConverter.Convert"/> did.</summary>
public sealed class ConvertReport
{
    /// <summary>The input's format.</summary>
    public CheckpointFormat InputFormat { get; init; }

    /// <summary>The output's format (sharded or not: see <see cref="IndexPath"/>).</summary>
    public CheckpointFormat OutputFormat { get; init; }

    /// <summary>True when the whole object tree of a .pt was written (no state-dict extraction).</summary>
    public bool WholeObject { get; internal set; }

    /// <summary>The files written (one, or the shards).</summary>
    public List<string> Files { get; } = [];

    /// <summary>The shard index written, or <see langword="null"/>.</summary>
    public string? IndexPath { get; internal set; }

    /// <summary>Tensors in the output (aliases included).</summary>
    public int TensorCount { get; internal set; }

    /// <summary>Bytes of tensor data written.</summary>
    public long Bytes { get; internal set; }

    /// <summary>Safetensors aliases recorded instead of written: removed name → kept name.</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

    /// <summary>Per-rule counts of key surgery and <c>--dtype-include</c>.</summary>
    public List<KeyRuleReport> KeyRules { get; } = [];

    /// <summary>The cast outcome when <see cref="ConvertOptions.DType"/> was set.</summary>
    public CastResult? Cast { get; internal set; }

    /// <summary>Values of the input not written (they are not part of the state dict).</summary>
    public List<OtherValue> OtherValues { get; } = [];

    /// <summary>Rules that matched nothing.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>How the input was read.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>True when the output was read back and matched.</summary>
    public bool Verified { get; internal set; }

    /// <summary>With <see cref="ConvertOptions.DryRun"/>: the files that would be written, in order.</summary>
    public List<PlannedFile> Planned { get; } = [];

    /// <inheritdoc/>
    public override string ToString() =>
        $"{InputFormat.Name()} -> {OutputFormat.Name()}: {TensorCount} tensors, {Bytes} bytes in {Files.Count} file{(Files.Count == 1 ? "" : "s")}";
}

/// <summary>A file <see cref="CheckpointConverter.Convert"/> would write (<see cref="ConvertOptions.DryRun"/>).</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="Tensors">The tensors it would hold, with their output names (none for a shard index).</param>
public sealed record PlannedFile(string Path, IReadOnlyList<NamedTensor> Tensors);
