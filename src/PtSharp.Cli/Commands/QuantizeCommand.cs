using System.CommandLine;
using System.Globalization;
using PtSharp.Cli.Output;
using PtSharp.Optimization;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt quantize IN OUT [--include RE]... [--exclude RE]... [--per-channel] [--types linear,lstm,gru]
/// [--weight-only int8|fp8_e4m3fn]</c>: dynamic int8 quantization of the Linear, LSTM and GRU layers, as
/// <c>torch.ao.quantization.quantize_dynamic</c> saves it.
/// </summary>
internal static class QuantizeCommand
{
    /// <summary>Creates the <c>quantize</c> command.</summary>
    public static Command Create()
    {
        var input = new Argument<string>("IN")
        {
            Description = "A state dict or pickled model (.pt/.pth/.bin, any kind pt reads) or a .safetensors.",
        };
        var output = new Argument<string>("OUT")
        {
            Description = "The quantized state dict (.pt); a .safetensors with --weight-only.",
        };
        var include = new Option<string[]>("--include")
        {
            Description = "Quantize only layers whose module name (e.g. encoder.0.fc, rnn) matches this regular "
                + "expression. Repeatable.",
        };
        var exclude = new Option<string[]>("--exclude")
        {
            Description = "Keep layers whose module name matches this regular expression in float. Repeatable.",
        };
        var perChannel = new Option<bool>("--per-channel")
        {
            Description = "One scale per output channel (torch's per_channel_dynamic_qconfig) instead of one per "
                + "tensor.",
        };
        var weightOnly = new Option<string?>("--weight-only")
        {
            Description = "Write weight-only quantized safetensors instead: int8 or fp8_e4m3fn weights plus "
                + "per-channel '<name>_scale' tensors (docs/optimize.md); Linear layers only.",
        };
        var types = new Option<string?>("--types")
        {
            Description = "The module types to quantize, comma-separated: linear, lstm, gru (default all three, "
                + "as quantize_dynamic(model, {nn.Linear, nn.LSTM, nn.GRU})).",
        };
        var command = new Command("quantize", "Quantize the nn.Linear, nn.LSTM and nn.GRU layers to int8 as "
            + "torch.ao.quantization.quantize_dynamic does; the file loads into quantize_dynamic(Model()) with "
            + "load_state_dict.")
        {
            input, output, include, exclude, perChannel, weightOnly, types,
        };
        command.SetAction(parse => Run(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error,
            parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(include) ?? [],
            parse.GetValue(exclude) ?? [],
            parse.GetValue(perChannel), parse.GetValue(weightOnly), parse.GetValue(types)));
        return command;
    }

    /// <summary>
    /// Quantizes <paramref name="inPath"/> into <paramref name="outPath"/> and prints the per-layer report.
    /// </summary>
    /// <returns>0 ok, 1 usage error, 2 unreadable input, 3 write failure.</returns>
    public static int Run(TextWriter stdout, TextWriter stderr, string inPath, string outPath,
        IReadOnlyList<string> include,
        IReadOnlyList<string> exclude, bool perChannel, string? weightOnly, string? types = null)
    {
        var options = new QuantizeOptions { PerChannel = perChannel };
        if (types is not null)
        {
            options.Types = QuantizedModuleTypes.None;
            var names = types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (string t in names)
            {
                var type = t.ToLowerInvariant() switch
                {
                    "linear" => QuantizedModuleTypes.Linear,
                    "lstm" => QuantizedModuleTypes.Lstm,
                    "gru" => QuantizedModuleTypes.Gru,
                    _ => QuantizedModuleTypes.None,
                };
                if (type == QuantizedModuleTypes.None)
                    return OptimizeRunner.Fail(stderr, $"error: --types '{t}' is not linear, lstm or gru",
                        ExitCodes.Usage);
                options.Types |= type;
            }
            if (options.Types == QuantizedModuleTypes.None)
                return OptimizeRunner.Fail(stderr, "error: --types names no module type", ExitCodes.Usage);
        }
        foreach (var p in include) options.Include.Add(p);
        foreach (var p in exclude) options.Exclude.Add(p);
        if (weightOnly is not null)
        {
            options.WeightOnly = weightOnly.ToLowerInvariant() switch
            {
                "int8" => WeightOnlyFormat.Int8,
                "fp8_e4m3fn" or "float8_e4m3fn" or "e4m3fn" => WeightOnlyFormat.Float8E4M3FN,
                _ => null,
            };
            if (options.WeightOnly is null)
                return OptimizeRunner.Fail(stderr, $"error: --weight-only '{weightOnly}' is not int8 or fp8_e4m3fn",
                    ExitCodes.Usage);
            if (perChannel)
                return OptimizeRunner.Fail(stderr, "error: --weight-only is always per channel; drop --per-channel",
                    ExitCodes.Usage);
        }
        QuantizeReport? report = null;
        int code = OptimizeRunner.Run(stderr, inPath, outPath,
            () => report = DynamicQuantizer.Quantize(inPath, outPath, options));
        if (code != ExitCodes.Ok) return code;
        Print(stdout, stderr, report!, outPath);
        return ExitCodes.Ok;
    }

    private static void Print(TextWriter stdout, TextWriter stderr, QuantizeReport r, string outPath)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var n in r.Notes) stderr.WriteLine(Display.OneLine("note: " + n));
        int modules = r.Layers.Select(l => l.Module).Distinct().Count();
        stdout.WriteLine($"layers found from the {(r.FromModuleTree ? "module tree" : "key pattern")}: "
            + $"{modules} quantized");
        if (r.Layers.Count > 0)
        {
            // An LSTM/GRU has one line per weight, named by its float key (rnn.weight_ih_l0).
            static string Name(QuantizedLayer l) =>
                l.Kind != "Linear" ? l.Weight : l.Module.Length == 0 ? "(root)" : l.Module;
            int width = Math.Max(5, r.Layers.Max(l => Name(l).Length));
            stdout.WriteLine($"{"layer".PadRight(width)}  {"type",-6} {"shape",-14} {"scheme",-22} {"scale",12} "
                + $"{"max abs err",12} {"mean abs err",12}");
            foreach (var l in r.Layers)
                stdout.WriteLine(Display.OneLine($"{Name(l).PadRight(width)}  {l.Kind,-6} "
                    + $"{"[" + string.Join(", ", l.Shape) + "]",-14} {l.Scheme,-22} {l.Scale.ToString("G6", inv),12} "
                    + $"{l.MaxAbsError.ToString("G6", inv),12} {l.MeanAbsError.ToString("G6", inv),12}"));
        }
        double ratio = r.BytesBefore == 0 ? 1 : (double)r.BytesAfter / r.BytesBefore;
        stdout.WriteLine($"tensor bytes: {OptimizeRunner.Bytes(r.BytesBefore)} -> "
            + $"{OptimizeRunner.Bytes(r.BytesAfter)} ({ratio.ToString("P1", inv)})");
        long size = new FileInfo(outPath).Length;
        stdout.WriteLine(Display.OneLine($"wrote {outPath} ({size.ToString("N0", inv)} bytes)"));
        stdout.Flush();
    }
}
