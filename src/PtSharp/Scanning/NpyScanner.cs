using PtSharp.Containers;

namespace PtSharp.Scanning;

/// <summary>A numpy .npy array: object arrays (numpy's hasobject) store their elements as a pickle after the
/// header.</summary>
internal static class NpyScanner
{
    public static void Scan(ScanContext ctx, ReadOnlySpan<byte> bytes, string? record, long? fileBase)
    {
        var header = NpyHeader.Read(bytes);
        if (header is null)
        {
            string what = bytes.Length < 12 ? "truncated .npy header" : ".npy header runs past the end of the data";
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, record, 0, what);
            return;
        }
        string name = (record ?? "npy") + ">object array";
        int start = (int)header.DataStart;
        switch (header.Objects)
        {
            case NpyObjects.No when header.Refused is null:
                return;
            case NpyObjects.No:
                // numpy refuses the header, so nothing is unpickled; a pickle placed there anyway is still reported.
                if (!ContainerScanner.LooksLikePickle(bytes, start, strict: true, requireGlobal: true)) return;
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.NestedPickle, null, record, 0,
                    $"numpy refuses this .npy header ({header.Refused}), but a pickle follows it; it is scanned as "
                        + $"'{name}'");
                break;
            case NpyObjects.Unknown:
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.NestedPickle, null, record, 0,
                    "the .npy header or its dtype could not be vouched for: numpy.load may unpickle the data; "
                    + (ContainerScanner.LooksLikePickle(bytes, start, strict: false) ? $"it is scanned as '{name}'"
                        : "it does not look like a pickle"));
                if (!ContainerScanner.LooksLikePickle(bytes, start, strict: false)) return;
                break;
            default:
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.NestedPickle, null, record, 0,
                    "numpy object array: numpy.load(allow_pickle=True) unpickles its elements; the pickle is scanned "
                        + "as '" + name + "'");
                if (!ContainerScanner.LooksLikePickle(bytes, start, strict: false))
                {
                    ctx.Add(ScanSeverity.Warning, ScanFindingKind.MalformedPickle, null, name, 0,
                        "object array data is not a pickle");
                    return;
                }
                break;
        }
        PickleScanner.Scan(ctx, bytes[start..], 0, name, fileBase is long b ? b + start : null);
    }
}
