using Google.Protobuf;
using PtSharp.Onnx.Proto;

namespace PtSharp.Onnx;

/// <summary>
/// Writes a model atomically (temporary file in the target folder, then rename), moving initializers to an
/// external data file (<c>model.onnx.data</c>, offsets aligned to 4 KiB) when they would exceed the protobuf limit,
/// as the ONNX external-data spec defines (<c>data_location = EXTERNAL</c>, <c>location</c>/<c>offset</c>/<c>length</c>).
/// </summary>
internal static class OnnxModelWriter
{
    private const int Alignment = 4096;
    private const int MinExternalBytes = 1024;

    public static string? Write(ModelProto model, string path, long externalThreshold)
    {
        string full = Path.GetFullPath(path);
        string? dataPath = null;
        long total = model.Graph.Initializer.Sum(t => (long)t.RawData.Length);
        if (total > externalThreshold)
        {
            dataPath = full + ".data";
            WriteExternal(model, dataPath);
        }
        WriteAtomically(full, stream => model.WriteTo(stream));
        return dataPath;
    }

    private static void WriteExternal(ModelProto model, string dataPath)
    {
        string location = Path.GetFileName(dataPath);
        WriteAtomically(dataPath, stream =>
        {
            foreach (var t in model.Graph.Initializer)
            {
                if (t.RawData.Length < MinExternalBytes) continue;
                long pad = (Alignment - stream.Position % Alignment) % Alignment;
                if (pad > 0) stream.Write(new byte[pad]);
                long offset = stream.Position;
                t.RawData.Span.CopyTo(stream);
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.DataLocation = TensorProto.Types.DataLocation.External;
                t.RawData = ByteString.Empty;
            }
        });
    }

    private static void CopyTo(this ReadOnlySpan<byte> span, Stream stream) => stream.Write(span);

    public static void WriteAtomically(string path, Action<FileStream> write)
    {
        string dir = Path.GetDirectoryName(path) ?? ".";
        string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: false);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
