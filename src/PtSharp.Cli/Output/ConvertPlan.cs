using PtSharp.Conversion;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary><c>pt convert --dry-run</c>: the files that would be written, each with its keys, dtypes and shapes.</summary>
internal static class ConvertPlan
{
    /// <summary>One block per planned file; a shard index shows how many keys it maps.</summary>
    public static string Render(ConvertReport report)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("dry run: nothing written; ").Append(report.Planned.Count).Append(report.Planned.Count == 1 ? " file" : " files")
          .Append(" would be written (").Append(Display.Count(report.TensorCount)).Append(" tensors")
          .Append(report.WholeObject ? ", the whole object tree" : "").AppendLine(")");
        foreach (var file in report.Planned)
        {
            bool index = file.Tensors.Count == 0 && file.Path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase);
            long bytes = file.Tensors.Where(t => !t.Tensor.IsSparse).Sum(t => t.Tensor.ByteCount);
            sb.AppendLine(Display.Safe(index
                ? $"{file.Path}: shard index"
                : $"{file.Path}: {Display.Count(file.Tensors.Count)} tensors, {Display.Bytes(bytes)}"));
            if (index) continue;
            int width = Math.Min(60, file.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max());
            foreach (var t in file.Tensors)
                sb.AppendLine(Display.Safe($"  {(t.Name.Length == 0 ? "(root)" : t.Name).PadRight(width)}  {t.Tensor.DType.Name(),-10} {Display.List(t.Tensor.Shape)}"));
        }
        return sb.ToString();
    }
}
