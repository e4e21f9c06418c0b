using System.Text.RegularExpressions;
using PtSharp.Conversion;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Transforms;
using PtSharp.Writing;

namespace PtSharp.Optimization;

/// <summary>
/// Dynamic int8 quantization of a checkpoint's <c>nn.Linear</c> layers as a file transform: the output is the
/// state dict <c>torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8).state_dict()</c>
/// has (<c>fc.scale</c>, <c>fc.zero_point</c>, <c>fc._packed_params.dtype</c>,
/// <c>fc._packed_params._packed_params</c> = (qint8 weight, float bias), and the <c>_metadata</c> versions its
/// loaders need), with the same int8 values, scales and zero points torch computes. Every other tensor is copied.
/// </summary>
/// <remarks>
/// The input is memory-mapped and each int8 weight is computed while it is written, so the memory used does not
/// grow with the model. Weight-only safetensors output (<see cref="QuantizeOptions.WeightOnly"/>) holds the
/// converted weights in memory until written.
/// </remarks>
public static class DynamicQuantizer
{
    /// <summary>Quantizes <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <exception cref="PtFormatException">The input cannot be read.</exception>
    /// <exception cref="ArgumentException">An option is invalid (a bad pattern, a .safetensors output without a weight-only format...).</exception>
    /// <exception cref="PtWriteException">The output cannot be written.</exception>
    /// <exception cref="IOException">Reading or writing failed.</exception>
    public static QuantizeReport Quantize(string input, string output, QuantizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        bool safetensors = output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        if (options.WeightOnly is null && safetensors)
            throw new ArgumentException("torch's dynamic-quantized state dict holds qint8 tensors, which safetensors cannot hold; write a .pt or use --weight-only");
        if (options.WeightOnly is not null && !safetensors)
            throw new ArgumentException("weight-only quantization writes safetensors: give an output ending in .safetensors");
        var include = options.Include.Select(p => KeyTransform.Compile(p, "--include")).ToList();
        var exclude = options.Exclude.Select(p => KeyTransform.Compile(p, "--exclude")).ToList();

        using var source = StateDictSource.Open(input, new StateDictSourceOptions { PtOptions = options.PtOptions });
        var report = new QuantizeReport();
        var tensors = source.Tensors;
        var layers = LinearLayers.Find(tensors, source.PtFile?.Root, out bool tree);
        report.FromModuleTree = tree;
        layers = Select(layers, include, exclude, report);
        report.BytesBefore = tensors.Sum(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount);
        foreach (var other in source.OtherValues) report.Notes.Add($"not written (not part of the state dict): {other.Path}");
        if (options.WeightOnly is { } format)
        {
            WeightOnlyQuantizer.Write(output, tensors, layers, format, report);
            return report;
        }

        var byWeight = layers.ToDictionary(l => l.Weight.Name, StringComparer.Ordinal);
        var biases = new HashSet<string>(layers.Where(l => l.Bias is not null).Select(l => l.Bias!.Name), StringComparer.Ordinal);
        var dict = new PyDict("collections.OrderedDict");
        var quantized = new List<(LinearLayers.Layer Layer, QuantizedWeight Weight)>();
        long after = 0;
        foreach (var nt in tensors)
        {
            if (biases.Contains(nt.Name)) continue;
            if (!byWeight.TryGetValue(nt.Name, out var layer))
            {
                dict.Set(nt.Name, nt.Tensor.Detach());
                after += nt.Tensor.IsSparse ? 0 : nt.Tensor.ByteCount;
                continue;
            }
            var (weight, qtensor) = QuantizedWeight.Create(layer.Weight.Tensor, options.PerChannel);
            quantized.Add((layer, weight));
            string p = layer.Module.Length == 0 ? "" : layer.Module + ".";
            // nnq.Linear._save_to_state_dict: torch.tensor(1.0) and torch.tensor(0) (dynamic layers keep the defaults).
            dict.Set(p + "scale", PtTensor.Scalar(1.0f));
            dict.Set(p + "zero_point", PtTensor.Scalar(0L));
            // LinearPackedParams._save_to_state_dict: the dtype object, then linear_unpack's (weight, bias).
            dict.Set(p + "_packed_params.dtype", new PyGlobal("torch", "qint8"));
            var bias = layer.Bias?.Tensor.Detach();
            dict.Set(p + "_packed_params._packed_params", new PyTuple([qtensor, bias]));
            after += 4 + 8 + qtensor.ByteCount + (bias?.ByteCount ?? 0);
            if (options.PerChannel) after += qtensor.Shape[0] * 16;
        }
        dict.Attributes = new PyDict { { "_metadata", Metadata(source.PtFile?.Root, layers) } };
        OutputCheck.Save(output, dict);
        report.BytesAfter = after;
        foreach (var (layer, w) in quantized)
            report.Layers.Add(new QuantizedLayer(layer.Module, [.. layer.Weight.Tensor.Shape],
                options.PerChannel ? "per_channel_affine" : "per_tensor_affine", w.Scale, w.MaxAbsError, w.MeanAbsError));
        return report;
    }

    private static List<LinearLayers.Layer> Select(List<LinearLayers.Layer> layers, List<Regex> include, List<Regex> exclude, QuantizeReport report)
    {
        var includeHits = new int[include.Count];
        var excludeHits = new int[exclude.Count];
        var chosen = new List<LinearLayers.Layer>();
        foreach (var layer in layers)
        {
            bool inc = include.Count == 0;
            for (int i = 0; i < include.Count; i++) if (include[i].IsMatch(layer.Module)) { includeHits[i]++; inc = true; }
            bool exc = false;
            for (int i = 0; i < exclude.Count; i++) if (exclude[i].IsMatch(layer.Module)) { excludeHits[i]++; exc = true; }
            if (inc && !exc) chosen.Add(layer);
        }
        for (int i = 0; i < include.Count; i++) if (includeHits[i] == 0) report.Notes.Add($"--include '{include[i]}' matched no Linear layer");
        for (int i = 0; i < exclude.Count; i++) if (excludeHits[i] == 0) report.Notes.Add($"--exclude '{exclude[i]}' matched no Linear layer");
        if (layers.Count == 0) report.Notes.Add("no nn.Linear layer was found (a 2-D weight with an optional matching bias)");
        return chosen;
    }

    /// <summary>
    /// The state dict's <c>_metadata</c>: the input's module versions, with version 4 for each quantized Linear and
    /// version 3 for its <c>_packed_params</c> (without them torch's loaders take the file for the pre-1.5 layout).
    /// </summary>
    private static PyDict Metadata(object? root, List<LinearLayers.Layer> layers)
    {
        var quantized = new HashSet<string>(layers.Select(l => l.Module), StringComparer.Ordinal);
        var meta = new PyDict("collections.OrderedDict");
        var input = root is PyDict { Attributes: { } a } && a.TryGetValue("_metadata", out var m) && m is PyDict md ? md
            : root is PyObject model && ModuleWalker.IsModule(model) ? ModuleVersions.Of(model)
            : null;
        if (input is null) meta.Set("", Version(1));
        else
            foreach (var kv in input)
            {
                if (kv.Key is string k && quantized.Remove(k)) AddQuantized(meta, k);
                else meta.Set(kv.Key, kv.Value);
            }
        foreach (var layer in layers) if (quantized.Remove(layer.Module)) AddQuantized(meta, layer.Module);
        return meta;
    }

    private static void AddQuantized(PyDict meta, string module)
    {
        meta.Set(module, Version(4));
        meta.Set(module.Length == 0 ? "_packed_params" : module + "._packed_params", Version(3));
    }

    private static PyDict Version(long v) => new() { { "version", v } };
}
