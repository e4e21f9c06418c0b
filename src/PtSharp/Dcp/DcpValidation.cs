using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>
/// Checks a DCP checkpoint's layout before any byte is read: every chunk inside its tensor and its file, no two
/// chunks overlapping, no holes, file names that stay inside the folder. Errors name the item and its file offset.
/// </summary>
internal static class DcpValidation
{
    public static void Check(DcpMetadata metadata, Func<string, long> fileLength)
    {
        foreach (var item in metadata.Items)
        {
            switch (item)
            {
                case DcpBytesItem b: CheckStorage(b.Name, b.Storage, fileLength); break;
                case DcpTensorItem t: CheckTensor(t, fileLength); break;
            }
        }
    }

    /// <summary>A relative path torch could have written: one plain file name inside the folder.</summary>
    public static void CheckPath(string name, string relativePath)
    {
        if (relativePath.Length == 0 || relativePath is "." or ".." || relativePath.IndexOfAny(['/', '\\', '\0']) >= 0 || Path.IsPathRooted(relativePath))
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"'{name}' is stored in '{relativePath}', which is not a file name inside the checkpoint folder", DcpMetadataReader.FileName, null);
    }

    private static void CheckStorage(string name, DcpStorageInfo s, Func<string, long> fileLength)
    {
        CheckPath(name, s.RelativePath);
        long length = fileLength(s.RelativePath);
        if (length < 0)
            ThrowHelper.Format(PtErrorKind.MissingRecord, $"'{name}' is stored in '{s.RelativePath}', which is not in the folder", s.RelativePath, s.Offset);
        if (s.Offset < 0 || s.Length < 0 || s.Offset > length || s.Length > length - s.Offset)
            ThrowHelper.Format(PtErrorKind.Truncated, $"'{name}' is stored at bytes {s.Offset}..{s.Offset + s.Length} of '{s.RelativePath}', which has {length} bytes", s.RelativePath, s.Offset);
    }

    private static void CheckTensor(DcpTensorItem t, Func<string, long> fileLength)
    {
        int rank = t.Shape.Count;
        long total = t.ElementCount;
        long covered = 0;
        for (int i = 0; i < t.Chunks.Count; i++)
        {
            var c = t.Chunks[i];
            CheckStorage(t.Name, c.Storage, fileLength);
            if (c.Offsets.Count != rank || c.Sizes.Count != rank)
                Fail(t, c, $"a chunk of '{t.Name}' has {c.Offsets.Count} offsets and {c.Sizes.Count} sizes; the tensor has {rank} dimensions");
            for (int d = 0; d < rank; d++)
                if (c.Offsets[d] > t.Shape[d] || c.Sizes[d] > t.Shape[d] - c.Offsets[d])
                    Fail(t, c, $"a chunk of '{t.Name}' spans {c.Offsets[d]}..{c.Offsets[d] + c.Sizes[d]} of dimension {d}, which has size {t.Shape[d]}");
            long n = c.ElementCount;
            if (n == 0) continue;
            for (int j = 0; j < i; j++)
            {
                var o = t.Chunks[j];
                if (o.ElementCount > 0 && Intersect(c, o))
                    Fail(t, c, $"two chunks of '{t.Name}' overlap: at ({string.Join(", ", o.Offsets)}) and ({string.Join(", ", c.Offsets)})");
            }
            covered += n;
        }
        if (covered != total)
            ThrowHelper.Format(PtErrorKind.InvalidTensor, $"the chunks of '{t.Name}' cover {covered} of its {total} elements: the tensor has holes", DcpMetadataReader.FileName, null);
    }

    private static bool Intersect(DcpChunk a, DcpChunk b)
    {
        for (int d = 0; d < a.Offsets.Count; d++)
            if (Math.Max(a.Offsets[d], b.Offsets[d]) >= Math.Min(a.Offsets[d] + a.Sizes[d], b.Offsets[d] + b.Sizes[d])) return false;
        return true;
    }

    private static void Fail(DcpTensorItem t, DcpChunk c, string message) =>
        ThrowHelper.Format(PtErrorKind.InvalidTensor, message, c.Storage.RelativePath, c.Storage.Offset);
}
