using System.Globalization;
using PtSharp.Errors;
using PtSharp.Onnx;

namespace PtSharp.Cli.Commands;

/// <summary>
/// <c>pt convert model.pt model.onnx</c>: the ONNX branch of the convert command (PtSharp.Onnx does the work).
/// </summary>
internal static class OnnxConvert
{
    /// <summary>The ONNX options of <c>pt convert</c>.</summary>
    internal sealed class Settings
    {
        public IReadOnlyList<string> InputShapes { get; init; } = [];
        public int Opset { get; init; } = 17;
        public bool DynamicBatch { get; init; }
        public bool Fp16 { get; init; }
        public string? Like { get; init; }
        public string? Architecture { get; init; }
        public bool Quiet { get; init; }
    }

    public static bool IsOnnx(string outPath) => outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    public static int Run(TextWriter stderr, string inPath, string outPath, Settings s)
    {
        if (!File.Exists(inPath)) return Fail(stderr, $"error: no such file: {inPath}", ExitCodes.Unreadable);
        try
        {
            if (s.Like is not null)
            {
                if (!File.Exists(s.Like)) return Fail(stderr, $"error: no such file: {s.Like}", ExitCodes.Unreadable);
                var r = OnnxWeightRefresher.Refresh(inPath, s.Like, outPath);
                if (!s.Quiet)
                    stderr.WriteLine($"refreshed {r.Updated} initializers of {s.Like} -> {outPath} "
                        + $"({r.Untouched.Count} graph constants kept)");
                return ExitCodes.Ok;
            }
            var options = new OnnxConvertOptions
            {
                Inputs = s.InputShapes.Select(OnnxInputSpec.Parse).ToList(),
                Opset = s.Opset,
                DynamicBatch = s.DynamicBatch,
                Fp16 = s.Fp16,
                Architecture = s.Architecture,
            };
            var result = OnnxConverter.Convert(inPath, outPath, options);
            if (!s.Quiet)
            {
                string inputs = string.Join(", ", result.InputShapes.Select(
                    d => string.Join("x", d.Select(n => n < 0 ? "batch" : n.ToString(CultureInfo.InvariantCulture)))));
                stderr.WriteLine($"wrote {outPath}: {result.NodeCount} nodes, {result.InitializerCount} initializers, "
                    + $"opset {s.Opset}, input {inputs}"
                    + (result.ExternalDataPath is null ? "" : $", weights in {result.ExternalDataPath}"));
            }
            return ExitCodes.Ok;
        }
        catch (FormatException e) { return Fail(stderr, "error: --input-shape: " + e.Message, ExitCodes.Usage); }
        catch (OnnxConversionException e)
        {
            return Fail(stderr, "error: cannot convert to ONNX: " + e.Message, ExitCodes.Unreadable);
        }
        catch (PtFormatException e) { return Fail(stderr, "error: " + e.Message, ExitCodes.Unreadable); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, $"error: cannot write {outPath}: {e.Message}", ExitCodes.WriteFailed);
        }
    }

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine(message);
        return code;
    }
}
