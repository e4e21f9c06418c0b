using System.Text;
using System.Text.RegularExpressions;

namespace PtSharp.Scanning;

/// <summary>
/// TorchScript code that torch runs while loading: <c>torch.jit.load</c> calls each scripted class's
/// <c>__setstate__</c> (CVE-2025-32434: torch 1.13 runs it even under <c>weights_only=True</c>). Its body, and the
/// methods of the same file it calls through <c>self</c>, are judged by the ops they call: ops with file, process or
/// loader side effects, and ops of namespaces the scanner cannot vouch for (custom ops can do anything), are
/// dangerous; tensor arithmetic and attribute assignments are not. Other methods only run when the user calls them.
/// </summary>
internal static partial class TorchScriptCodeScanner
{
    private const string LoadTimeMethod = "__setstate__";
    private const int MaxCode = 16 << 20;

    /// <summary>Calls with side effects outside the model: files, processes, loaders.</summary>
    private static readonly HashSet<string> SideEffects = new(StringComparer.Ordinal)
    {
        "save", "load", "_save", "_load", "from_file", "_save_parameters", "_load_for_mobile", "system", "popen",
        "open", "exec", "eval", "compile", "__import__", "_load_from_bytes", "_save_for_mobile", "_save_to_buffer",
    };

    /// <summary><c>ops.prim</c> operations that only inspect or convert values.</summary>
    private static readonly HashSet<string> PurePrims = new(StringComparer.Ordinal)
    {
        "unchecked_cast", "RaiseException", "device", "dtype", "layout", "min", "max", "NumToTensor", "data",
        "is_cuda", "is_cpu", "is_quantized", "is_sparse", "is_meta", "shape", "TupleIndex", "Uninitialized",
        "isinstance", "abs", "name", "requires_grad", "grad", "unchecked_unwrap_optional", "tolist", "rangelist",
        "StringIndex", "TupleUnpack", "TupleConstruct", "ListConstruct", "DictConstruct", "index", "id",
    };

    /// <summary>Free functions TorchScript code calls that only build or inspect values.</summary>
    private static readonly HashSet<string> PureBuiltins = new(StringComparer.Ordinal)
    {
        "len", "int", "float", "bool", "str", "range", "isinstance", "annotate", "unchecked_cast", "getattr",
        "hasattr", "print", "min", "max", "abs", "round", "list", "dict", "tuple", "enumerate", "zip", "ord", "chr",
        "uninitialized", "divmod", "hash", "format", "sorted", "sum", "any", "all", "math.sqrt", "math.isnan",
    };

    [GeneratedRegex(@"^(?<indent>[ \t]*)def\s+(?<name>\w+)\s*\(", RegexOptions.Multiline)]
    private static partial Regex MethodStart();

    [GeneratedRegex(@"(?<![\w.])(?<callee>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(")]
    private static partial Regex CallSite();

    /// <summary>True for the members that hold TorchScript source (<c>code/__torch__/....py</c>).</summary>
    public static bool IsCodeRecord(string name) =>
        name.EndsWith(".py", StringComparison.Ordinal)
        && (name.StartsWith("code/", StringComparison.Ordinal) || name.Contains("/code/", StringComparison.Ordinal));

    /// <summary>Judges the load-time methods of one code file.</summary>
    public static void Scan(ScanContext ctx, ReadOnlySpan<byte> bytes, string record)
    {
        if (bytes.Length > MaxCode)
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.LimitReached, null, record, 0,
                $"TorchScript code larger than {MaxCode} bytes was not read for load-time methods");
            return;
        }
        string code = Encoding.UTF8.GetString(bytes);
        var methods = Methods(code);
        if (!methods.Any(m => m.Name == LoadTimeMethod)) return;
        foreach (var setstate in methods.Where(m => m.Name == LoadTimeMethod))
            Judge(ctx, record, code, setstate, methods);
    }

    private readonly record struct Method(string Name, int Start, int End, int Indent, int Line);

    /// <summary>Each <c>def</c> with its body: the lines after it that are indented deeper than the def.</summary>
    private static List<Method> Methods(string code)
    {
        var result = new List<Method>();
        foreach (Match m in MethodStart().Matches(code))
        {
            int indent = m.Groups["indent"].Length;
            int pos = code.IndexOf('\n', m.Index);
            if (pos < 0) pos = code.Length;
            // The signature may span lines; the body ends at the first non-blank line indented no deeper than def.
            int end = pos;
            while (end < code.Length)
            {
                int next = code.IndexOf('\n', end + 1);
                if (next < 0) next = code.Length;
                var line = code.AsSpan(end + 1, Math.Max(0, next - end - 1));
                int lead = line.Length - line.TrimStart(" \t").Length;
                if (!line.IsWhiteSpace() && lead <= indent) break;
                end = next;
            }
            int lineNo = 1 + code.AsSpan(0, m.Index).Count('\n');
            result.Add(new Method(m.Groups["name"].Value, m.Index, Math.Min(end, code.Length), indent, lineNo));
        }
        return result;
    }

    private static void Judge(ScanContext ctx, string record, string code, Method setstate, List<Method> methods)
    {
        var pending = new Queue<Method>([setstate]);
        var seen = new HashSet<string>(StringComparer.Ordinal) { setstate.Name };
        while (pending.Count > 0)
        {
            var method = pending.Dequeue();
            string body = code[method.Start..method.End];
            int header = body.IndexOf(':', body.IndexOf(')'));
            foreach (Match call in CallSite().Matches(body, Math.Max(0, header)))
            {
                string callee = call.Groups["callee"].Value;
                if (callee.StartsWith("self.", StringComparison.Ordinal))
                {
                    string name = callee[5..];
                    if (!name.Contains('.') && seen.Add(name))
                        foreach (var m in methods.Where(m => m.Name == name)) pending.Enqueue(m);
                    continue;
                }
                if (callee.StartsWith("__torch__.", StringComparison.Ordinal))
                {
                    // A function or method compiled into this file: follow it; code elsewhere is not followed.
                    string name = callee[(callee.LastIndexOf('.') + 1)..];
                    var defined = methods.Where(m => m.Name == name).ToList();
                    if (defined.Count == 0)
                        ctx.Add(ScanSeverity.Warning, ScanFindingKind.UnknownGlobal, callee, record,
                            call.Index + method.Start, $"TorchScript {LoadTimeMethod} (line {setstate.Line}) calls "
                            + $"{callee}, defined in another code file that is not followed");
                    else if (seen.Add(name)) foreach (var m in defined) pending.Enqueue(m);
                    continue;
                }
                if (Verdict(callee) is not { } why) continue;
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.DangerousGlobal, callee, record,
                    call.Index + method.Start,
                    $"TorchScript {LoadTimeMethod} (line {setstate.Line}), which torch.jit.load runs, "
                    + $"calls {callee}: {why}");
            }
        }
    }

    /// <summary>Why a call is dangerous, or null when it is pure.</summary>
    private static string? Verdict(string callee)
    {
        string[] parts = callee.Split('.');
        string last = parts[^1];
        if (SideEffects.Contains(last)) return "it reads or writes files, runs processes or loads more code";
        if (parts.Length == 1) return PureBuiltins.Contains(callee) ? null : "a function the scanner cannot vouch for";
        // torch.ops.<ns>.<op> and ops.<ns>.<op>: aten is torch's tensor library; prim is vouched op by op.
        int ops = Array.IndexOf(parts, "ops");
        if (ops >= 0 && ops + 2 < parts.Length)
        {
            string ns = parts[ops + 1];
            if (ns == "aten" || ns == "quantized") return null;
            if (ns == "prim") return PurePrims.Contains(last) ? null : "an ops.prim operation not known to be pure";
            return $"an op of the '{ns}' namespace, which any loaded library can register to do anything";
        }
        if (parts[0] == "torch") return null; // torch.<fn>: aten tensor functions (side effects are listed above)
        if (parts[0] is "math" or "CONSTANTS") return null;
        return PureBuiltins.Contains(callee) ? null : "a function the scanner cannot vouch for";
    }
}
