using System.Text;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Pickle;
using PtSharp.Torch;
using PtSharp.Zip;

namespace PtSharp.Loading;

public sealed partial class PtFile
{
    private void ParseZip(ByteWindow all)
    {
        var zip = ZipArchiveReader.Open(all, Path ?? "<memory>", Options.ZipLimits);
        _zip = zip;
        if (zip.Count == 0) ThrowHelper.Format(PtErrorKind.MissingRecord, "the zip archive is empty", null, 0);

        // As PyTorch's reader: the archive name is the first entry's name up to its first '/'.
        string first = zip.NameAt(0);
        int slash = first.IndexOf('/');
        string prefix = slash > 0 ? first[..slash] : "";
        if (!zip.TryGetEntry(prefix + "/data.pkl", out var dataPkl))
        {
            var found = zip.Entries.FirstOrDefault(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal) && e.Name.IndexOf('/') == e.Name.Length - "/data.pkl".Length);
            if (found is null)
            {
                if (zip.Entries.Any(e => e.Name.Contains("/.data/ts_code/", StringComparison.Ordinal)))
                    ThrowHelper.Format(PtErrorKind.Unsupported, "this is a torch.package archive; only torch.save and torch.jit.save files are supported", null, 0);
                ThrowHelper.Format(PtErrorKind.MissingRecord, $"the archive has no 'data.pkl' record (first entry '{first}'); it is not a torch.save file", null, 0);
            }
            dataPkl = found;
            prefix = found.Name[..found.Name.IndexOf('/')];
        }
        ArchiveName = prefix;
        string P(string name) => prefix + "/" + name;

        FormatVersion = ReadText(zip, P(".data/version")) ?? ReadText(zip, P("version"));
        var byteOrder = ReadText(zip, P("byteorder"));
        HasByteOrderRecord = byteOrder is not null;
        if (byteOrder is not null && byteOrder != "little" && byteOrder != "big")
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"byteorder record says '{byteOrder}', not 'little' or 'big'", P("byteorder"), 0);
        ByteOrder = byteOrder ?? "little";
        bool big = ByteOrder == "big";

        bool torchScript = zip.TryGetEntry(P("constants.pkl"), out var constantsPkl);
        var data = new ZipStorageResolver(zip, P("data/"), big, Options.ToReadPolicy(), expectedStorages: zip.Count);
        var (root, protocol, globals) = RunPickle(zip, dataPkl, data);
        var allStorages = data.Storages;
        if (torchScript)
        {
            var constants = new ZipStorageResolver(zip, P("constants/"), big, Options.ToReadPolicy());
            (Constants, _, _) = RunPickle(zip, constantsPkl, constants);
            allStorages.AddRange(constants.Storages);
        }
        Apply(new LoadResult(torchScript ? PtFormat.TorchScript : PtFormat.Zip, root, protocol, globals, allStorages)
        {
            Record = dataPkl.Name,
        });
    }

    private (object? Root, int Protocol, List<string> Globals) RunPickle(ZipArchiveReader zip, ZipEntry entry, IPersistentResolver resolver)
    {
        var payload = zip.GetPayload(entry, Options.ZipLimits);
        var host = new TorchPickleHost(resolver, Options.ToReadPolicy(), entry.Name);
        var vm = new PickleMachine(payload, entry.Name, host, Options.PickleLimits);
        var root = vm.Run();
        return (root, vm.Protocol, host.SeenGlobals);
    }

    private string? ReadText(ZipArchiveReader zip, string name)
    {
        if (!zip.TryGetEntry(name, out var e)) return null;
        if (e.UncompressedSize > 4096) ThrowHelper.Format(PtErrorKind.CorruptContainer, $"record is {e.UncompressedSize} bytes; a short text was expected", name, 0);
        var w = zip.GetPayload(e, Options.ZipLimits);
        return Encoding.ASCII.GetString(w.Span(0, w.Length, "record", name)).Trim();
    }
}
