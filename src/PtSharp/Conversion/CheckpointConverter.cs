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

        IReadOnlyList<NamedTensor> tensors = source.StateDict;
        if (!options.Keys.IsEmpty)
        {
            var keys = KeyTransform.Apply(tensors, options.Keys);
            tensors = keys.Tensors;
            report.KeyRules.AddRange(keys.Rules);
            report.Warnings.AddRange(keys.Warnings);
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
        options.OnWriteStart?.Invoke(tensors.Select(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount).Sum());

        var metadata = outFormat == CheckpointFormat.Safetensors && source.Format == CheckpointFormat.Safetensors ? source.Metadata : null;
        var written = CheckpointWriter.Save(output, tensors, new CheckpointSaveOptions
        {
            Format = outFormat,
            MaxShardSize = options.MaxShardSize,
            Metadata = metadata,
            Verify = options.Verify,
            Progress = options.Progress,
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
        options.OnWriteStart?.Invoke(expected.Select(t => t.Tensor.Storage).Where(s => s is not null).Distinct(ReferenceEqualityComparer.Instance).Sum(s => ((PtStorage)s!).ByteLength));
        // The written file is read back and compared before it replaces the output, so a failed check loses nothing.
        PtWriter.Save(output, value, new PtSaveOptions { Progress = options.Progress }, !options.Verify ? null : temp =>
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

    /// <summary>Read the output back and compare every tensor (default true).</summary>
    public bool Verify { get; set; } = true;

    /// <summary>Options for reading .pt input.</summary>
    public PtLoadOptions? PtOptions { get; set; }

    /// <summary>Receives the number of tensor bytes written so far.</summary>
    public IProgress<long>? Progress { get; set; }

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

    /// <inheritdoc/>
    public override string ToString() =>
        $"{InputFormat.Name()} -> {OutputFormat.Name()}: {TensorCount} tensors, {Bytes} bytes in {Files.Count} file{(Files.Count == 1 ? "" : "s")}";
}
