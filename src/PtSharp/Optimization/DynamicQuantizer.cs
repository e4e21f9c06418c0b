using System.Globalization;
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
/// loaders need), with the same int8 values, scales and zero points torch computes. <c>nn.LSTM</c>/<c>nn.GRU</c>
/// stacks become <c>rnn._all_weight_values.N.param</c> TorchScript cell objects, as
/// <c>quantize_dynamic(model, {nn.LSTM, nn.GRU})</c> saves them (<see cref="QuantizeOptions.Types"/> picks the module
/// types). Every other tensor is copied.
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
    /// <exception cref="ArgumentException">
    /// An option is invalid (a bad pattern, a .safetensors output without a weight-only format...).
    /// </exception>
    /// <exception cref="PtWriteException">The output cannot be written.</exception>
    /// <exception cref="IOException">Reading or writing failed.</exception>
    public static QuantizeReport Quantize(string input, string output, QuantizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        bool safetensors = output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        if (options.WeightOnly is null && safetensors)
            throw new ArgumentException("torch's dynamic-quantized state dict holds qint8 tensors, which safetensors "
                + "cannot hold; write a .pt or use --weight-only");
        if (options.WeightOnly is not null && !safetensors)
            throw new ArgumentException(
                "weight-only quantization writes safetensors: give an output ending in .safetensors");
        var include = options.Include.Select(p => KeyTransform.Compile(p, "--include")).ToList();
        var exclude = options.Exclude.Select(p => KeyTransform.Compile(p, "--exclude")).ToList();

        using var source = StateDictSource.Open(input, new StateDictSourceOptions { PtOptions = options.PtOptions });
        var report = new QuantizeReport();
        var tensors = source.Tensors;
        var root = source.PtFile?.Root;
        var layers = options.Types.HasFlag(QuantizedModuleTypes.Linear)
            ? LinearLayers.Find(tensors, root, out _) : [];
        var stacks = options.WeightOnly is null && (options.Types & QuantizedModuleTypes.Recurrent) != 0
            ? RecurrentLayers.Find(tensors, root, report.Notes) : [];
        stacks = [.. stacks.Where(s =>
            options.Types.HasFlag(s.Mode == "LSTM" ? QuantizedModuleTypes.Lstm : QuantizedModuleTypes.Gru))];
        report.FromModuleTree = root is PyObject model && ModuleWalker.IsModule(model);
        if (layers.Count + stacks.Count == 0)
            report.Notes.Add("no nn.Linear, nn.LSTM or nn.GRU layer was found (a 2-D weight with an optional "
                + "matching bias, or weight_ih_l0/weight_hh_l0/bias_ih_l0/bias_hh_l0...)");
        var modules = Select([.. layers.Select(l => l.Module), .. stacks.Select(s => s.Module)], include, exclude,
            report);
        layers = [.. layers.Where(l => modules.Contains(l.Module))];
        stacks = [.. stacks.Where(s => modules.Contains(s.Module))];
        report.BytesBefore = tensors.Sum(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount);
        foreach (var other in source.OtherValues)
            report.Notes.Add($"not written (not part of the state dict): {other.Path}");
        if (options.WeightOnly is { } format)
        {
            WeightOnlyQuantizer.Write(output, tensors, layers, format, report);
            return report;
        }

        var byWeight = layers.ToDictionary(l => l.Weight.Name, StringComparer.Ordinal);
        var biases = new HashSet<string>(layers.Where(l => l.Bias is not null).Select(l => l.Bias!.Name),
            StringComparer.Ordinal);
        var stackOf = new Dictionary<string, RecurrentLayers.Stack>(StringComparer.Ordinal);
        foreach (var s in stacks)
            foreach (string key in s.Keys) stackOf[key] = s;
        var written = new HashSet<RecurrentLayers.Stack>(ReferenceEqualityComparer.Instance);
        var scriptObject = new PyGlobal("torch", "ScriptObject");
        var dict = new PyDict("collections.OrderedDict");
        var quantized = new List<(QuantizedLayer Line, QuantizedWeight Weight)>();
        long after = 0;
        foreach (var nt in tensors)
        {
            if (biases.Contains(nt.Name)) continue;
            if (stackOf.TryGetValue(nt.Name, out var stack))
            {
                // The quantized module has no tensors of its own: its packed cells take the first key's place.
                if (written.Add(stack)) after += WriteStack(dict, stack, scriptObject, options.PerChannel, quantized);
                continue;
            }
            if (!byWeight.TryGetValue(nt.Name, out var layer))
            {
                dict.Set(nt.Name, nt.Tensor.Detach());
                after += nt.Tensor.IsSparse ? 0 : nt.Tensor.ByteCount;
                continue;
            }
            var (weight, qtensor) = QuantizedWeight.Create(layer.Weight.Tensor, options.PerChannel);
            quantized.Add((Line(layer.Module, "Linear", layer.Weight, options.PerChannel), weight));
            string p = layer.Module.Length == 0 ? "" : layer.Module + ".";
            // nnq.Linear._save_to_state_dict: torch.tensor(1.0) and torch.tensor(0) (dynamic layers keep the defaults).
            dict.Set(p + "scale", PtTensor.Scalar(1.0f));
            dict.Set(p + "zero_point", PtTensor.Scalar(0L));
            // LinearPackedParams._save_to_state_dict: the dtype object, then linear_unpack's (weight, bias).
            dict.Set(p + "_packed_params.dtype", new PyGlobal("torch", "qint8"));
            // The bias is the float module's Parameter, which linear_unpack hands back as it was given.
            var bias = layer.Bias is { } b ? RecurrentPackedParams.AsParameter(b.Tensor) : null;
            dict.Set(p + "_packed_params._packed_params", new PyTuple([qtensor, bias]));
            after += 4 + 8 + QuantizedBytes(qtensor, options.PerChannel) + (bias?.ByteCount ?? 0);
        }
        dict.Attributes = new PyDict { { "_metadata", Metadata(root, layers, stacks) } };
        OutputCheck.Save(output, dict);
        report.BytesAfter = after;
        foreach (var (line, w) in quantized)
            report.Layers.Add(line with
            {
                Scale = w.Scale, MaxAbsError = w.MaxAbsError, MeanAbsError = w.MeanAbsError,
            });
        return report;
    }

    private static long QuantizedBytes(PtTensor qtensor, bool perChannel) =>
        qtensor.ByteCount + (perChannel ? qtensor.Shape[0] * 16 : 0);

    private static QuantizedLayer Line(string module, string kind, NamedTensor weight, bool perChannel) =>
        new(module, [.. weight.Tensor.Shape], perChannel ? "per_channel_affine" : "per_tensor_affine", 0, 0, 0)
        {
            Kind = kind,
            Weight = weight.Name,
        };

    /// <summary>
    /// <c>RNNBase._save_to_state_dict</c> via <c>PackedParameter</c>: one <c>_all_weight_values.N.param</c> per layer
    /// and direction (N = layer × directions + direction), each weight quantized as <c>from_float</c>'s
    /// <c>quantize_and_pack</c> does (the qconfig's weight observer, then <c>_quantize_weight(w.float(), ...)</c>).
    /// </summary>
    private static long WriteStack(PyDict dict, RecurrentLayers.Stack stack, PyGlobal scriptObject, bool perChannel,
        List<(QuantizedLayer, QuantizedWeight)> quantized)
    {
        string p = stack.Module.Length == 0 ? "" : stack.Module + ".";
        long bytes = 0;
        for (int n = 0; n < stack.Cells.Count; n++)
        {
            var cell = stack.Cells[n];
            var (ih, qih) = QuantizedWeight.Create(cell.WeightIh.Tensor, perChannel);
            var (hh, qhh) = QuantizedWeight.Create(cell.WeightHh.Tensor, perChannel);
            quantized.Add((Line(stack.Module, stack.Mode, cell.WeightIh, perChannel), ih));
            quantized.Add((Line(stack.Module, stack.Mode, cell.WeightHh, perChannel), hh));
            var param = RecurrentPackedParams.Create(scriptObject, qih, qhh, cell.BiasIh.Tensor, cell.BiasHh.Tensor);
            dict.Set(string.Create(CultureInfo.InvariantCulture, $"{p}_all_weight_values.{n}.param"), param);
            bytes += QuantizedBytes(qih, perChannel) + QuantizedBytes(qhh, perChannel)
                + cell.BiasIh.Tensor.ByteCount + cell.BiasHh.Tensor.ByteCount;
        }
        return bytes;
    }

    private static HashSet<string> Select(List<string> modules, List<Regex> include, List<Regex> exclude,
        QuantizeReport report)
    {
        var includeHits = new int[include.Count];
        var excludeHits = new int[exclude.Count];
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string module in modules)
        {
            bool inc = include.Count == 0;
            for (int i = 0; i < include.Count; i++)
                if (include[i].IsMatch(module)) { includeHits[i]++; inc = true; }
            bool exc = false;
            for (int i = 0; i < exclude.Count; i++)
                if (exclude[i].IsMatch(module)) { excludeHits[i]++; exc = true; }
            if (inc && !exc) chosen.Add(module);
        }
        for (int i = 0; i < include.Count; i++)
            if (includeHits[i] == 0) report.Notes.Add($"--include '{include[i]}' matched no quantizable layer");
        for (int i = 0; i < exclude.Count; i++)
            if (excludeHits[i] == 0) report.Notes.Add($"--exclude '{exclude[i]}' matched no quantizable layer");
        return chosen;
    }

    /// <summary>
    /// The state dict's <c>_metadata</c>: the input's module versions, with version 4 for each quantized Linear and
    /// version 3 for its <c>_packed_params</c> (without them torch's loaders take the file for the pre-1.5 layout),
    /// and for each LSTM/GRU version 2 (<c>RNNBase._version</c>) followed by version 1 for its
    /// <c>_all_weight_values</c> ModuleList and each <c>PackedParameter</c> in it.
    /// </summary>
    private static PyDict Metadata(object? root, List<LinearLayers.Layer> layers, List<RecurrentLayers.Stack> stacks)
    {
        var quantized = new HashSet<string>(layers.Select(l => l.Module), StringComparer.Ordinal);
        var recurrent = stacks.ToDictionary(s => s.Module, StringComparer.Ordinal);
        var meta = new PyDict("collections.OrderedDict");
        var input = root is PyDict { Attributes: { } a } && a.TryGetValue("_metadata", out var m) && m is PyDict md ? md
            : root is PyObject model && ModuleWalker.IsModule(model) ? ModuleVersions.Of(model)
            : null;
        if (input is null) meta.Set("", Version(1));
        else
            foreach (var kv in input)
            {
                if (kv.Key is string k && quantized.Remove(k)) AddQuantized(meta, k);
                else if (kv.Key is string r && recurrent.Remove(r, out var stack)) AddRecurrent(meta, stack);
                else meta.Set(kv.Key, kv.Value);
            }
        foreach (var layer in layers) if (quantized.Remove(layer.Module)) AddQuantized(meta, layer.Module);
        foreach (var stack in stacks) if (recurrent.Remove(stack.Module)) AddRecurrent(meta, stack);
        return meta;
    }

    private static void AddQuantized(PyDict meta, string module)
    {
        meta.Set(module, Version(4));
        meta.Set(module.Length == 0 ? "_packed_params" : module + "._packed_params", Version(3));
    }

    private static void AddRecurrent(PyDict meta, RecurrentLayers.Stack stack)
    {
        string list = stack.Module.Length == 0 ? "_all_weight_values" : stack.Module + "._all_weight_values";
        meta.Set(stack.Module, Version(2));
        meta.Set(list, Version(1));
        for (int n = 0; n < stack.Cells.Count; n++)
            meta.Set(string.Create(CultureInfo.InvariantCulture, $"{list}.{n}"), Version(1));
    }

    private static PyDict Version(long v) => new() { { "version", v } };
}
