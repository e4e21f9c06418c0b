using System.IO.Compression;
using System.Text;
using PtSharp;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tensors;
using PtSharp.Tests.Support;
using SharpFuzz;

namespace PtSharp.Fuzz;

/// <summary>
/// SharpFuzz targets. Oracle: every input ends in a result or a <see cref="PtFormatException"/>; tensor data
/// accessors may also throw their documented InvalidOperationException / NotSupportedException /
/// ArgumentException; the scanner never throws. Anything else escapes and is a crash; a hang is a timeout.
///
///   PtSharp.Fuzz libfuzzer|afl pickle|container|tensor     run one target under libFuzzer or AFL++
///   PtSharp.Fuzz seeds OUT_DIR REPO_ROOT                   write seed corpora from the fixtures
///   PtSharp.Fuzz run pickle|container|tensor FILE...       run inputs once (reproduce a crash)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 3 && args[0] == "seeds") { Seeds.Write(args[1], args[2]); return 0; }
        if (args.Length >= 2 && args[0] == "run")
        {
            var target = Target(args[1]);
            foreach (var file in args.Skip(2)) { target(File.ReadAllBytes(file)); Console.WriteLine($"ok {file}"); }
            return 0;
        }
        if (args.Length == 2 && args[0] == "libfuzzer")
        {
            var target = Target(args[1]);
            Fuzzer.LibFuzzer.Run(span => target(span.ToArray()));
            return 0;
        }
        if (args.Length == 2 && args[0] == "afl")
        {
            var target = Target(args[1]);
            Fuzzer.OutOfProcess.Run(stream =>
            {
                var ms = new MemoryStream();
                stream.CopyTo(ms);
                target(ms.ToArray());
            });
            return 0;
        }
        Console.Error.WriteLine("usage: PtSharp.Fuzz libfuzzer|afl pickle|container|tensor | seeds OUT_DIR REPO_ROOT | run TARGET FILE...");
        return 2;
    }

    private static Action<byte[]> Target(string name) => name switch
    {
        "pickle" => Targets.Pickle,
        "container" => Targets.Container,
        "tensor" => Targets.Tensor,
        _ => throw new ArgumentException($"unknown target '{name}' (pickle, container, tensor)"),
    };
}

/// <summary>The three targets; each only lets documented exceptions pass.</summary>
public static class Targets
{
    /// <summary>The input is a pickle: run as <c>data.pkl</c> of a torch zip with storages 0..3, and scanned.</summary>
    public static void Pickle(byte[] input)
    {
        PtScanner.ScanBytes(input, "pickle");
        Load(Zip.TorchZip(input));
    }

    /// <summary>The input is a whole file: any container.</summary>
    public static void Container(byte[] input)
    {
        PtScanner.ScanBytes(input, "file");
        Load(input);
    }

    /// <summary>The input is tensor geometry (dtype, rank, sizes, strides, offset, storage size, data).</summary>
    public static void Tensor(byte[] input) => Load(Zip.TensorFile(input));

    private static void Load(byte[] file)
    {
        PtFile f;
        try { f = PtFile.Load(file); }
        catch (PtFormatException) { return; }
        using (f)
        {
            IReadOnlyList<NamedTensor> tensors;
            try { tensors = TensorAccessors.Walk(f); }
            catch (PtFormatException) { return; }
            foreach (var named in tensors.Take(64))
            {
                try { TensorAccessors.Exercise(named.Tensor); }
                catch (Exception e) when (TensorAccessors.IsDocumented(e)) { }
            }
        }
    }
}

/// <summary>Builds the torch zips the pickle and tensor targets load.</summary>
internal static class Zip
{
    public static byte[] TorchZip(byte[] dataPkl, byte[]? storage = null)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "archive/data.pkl", dataPkl);
            Add(zip, "archive/byteorder", "little"u8.ToArray());
            for (int i = 0; i < 4; i++) Add(zip, $"archive/data/{i}", storage ?? new byte[256]);
            Add(zip, "archive/version", "3\n"u8.ToArray());
        }
        return ms.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] data)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(data);
    }

    private static readonly string[] StorageClasses =
        ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage",
         "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt4x2Storage", "QUInt2x4Storage", "UntypedStorage"];

    /// <summary>Reads geometry from the input and emits {'t': _rebuild_tensor_v2(pid, offset, size, stride, False, OrderedDict())}.</summary>
    public static byte[] TensorFile(byte[] input)
    {
        var r = new Reader(input);
        string cls = StorageClasses[r.Byte() % StorageClasses.Length];
        int rank = r.Byte() % 9;
        var size = new long[rank];
        var stride = new long[rank];
        for (int d = 0; d < rank; d++) size[d] = r.Long();
        for (int d = 0; d < rank; d++) stride[d] = r.Long();
        long offset = r.Long(), numel = r.Long();
        var p = new List<byte> { 0x80, 0x02, 0x7D };
        Unicode(p, "t");
        Global(p, "torch._utils", "_rebuild_tensor_v2");
        p.Add(0x28);
        p.Add(0x28); Unicode(p, "storage"); Global(p, "torch", cls); Unicode(p, "0"); Unicode(p, "cpu"); Int(p, numel); p.Add(0x74); p.Add(0x51);
        Int(p, offset);
        p.Add(0x28); foreach (var s in size) Int(p, s); p.Add(0x74);
        p.Add(0x28); foreach (var s in stride) Int(p, s); p.Add(0x74);
        p.Add(0x89);
        Global(p, "collections", "OrderedDict"); p.Add(0x29); p.Add(0x52);
        p.Add(0x74); p.Add(0x52); p.Add(0x73); p.Add(0x2E);
        return TorchZip([.. p], r.Rest());
    }

    private static void Unicode(List<byte> p, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        p.Add(0x58); p.AddRange(BitConverter.GetBytes(b.Length)); p.AddRange(b);
    }

    private static void Global(List<byte> p, string m, string n) { p.Add(0x63); p.AddRange(Encoding.ASCII.GetBytes(m + "\n" + n + "\n")); }

    private static void Int(List<byte> p, long v) { p.Add(0x8A); p.Add(8); p.AddRange(BitConverter.GetBytes(v)); }

    private sealed class Reader(byte[] b)
    {
        private int _at;
        public byte Byte() => _at < b.Length ? b[_at++] : (byte)0;
        public long Long()
        {
            // Small values are likelier than random 64-bit ones: a tag byte picks the range.
            byte tag = Byte();
            long v = 0;
            int n = tag % 4 switch { 0 => 1, 1 => 2, 2 => 4, _ => 8 };
            for (int i = 0; i < n; i++) v |= (long)Byte() << (8 * i);
            if (n < 8 && (tag & 0x80) != 0) v = -v;
            return v;
        }
        public byte[] Rest() => _at < b.Length ? b[_at..] : [];
    }
}

/// <summary>Seed corpora: fixtures and the malicious corpus as whole files, their data.pkl members as pickles.</summary>
internal static class Seeds
{
    public static void Write(string outDir, string repo)
    {
        var dirs = new[] { "tests/fixtures/torch-1.13", "tests/fixtures/torch-2.6", "tests/fixtures/handbuilt", "tests/malicious", "tests/PtSharp.Tests/Attacks/regressions" }
            .Select(d => Path.Combine(repo, d)).Where(Directory.Exists);
        foreach (var t in new[] { "pickle", "container", "tensor" }) Directory.CreateDirectory(Path.Combine(outDir, t));
        int n = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal); // aliased members repeat the same pickle
        foreach (var file in dirs.SelectMany(Directory.EnumerateFiles).Where(f => !f.EndsWith(".json") && !f.EndsWith(".py") && !f.EndsWith(".md")))
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length > 1 << 20) continue;
            File.WriteAllBytes(Path.Combine(outDir, "container", $"{n:D4}-{Path.GetFileName(file)}"), bytes);
            try
            {
                using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
                foreach (var e in zip.Entries.Where(e => e.FullName.EndsWith(".pkl", StringComparison.Ordinal)))
                {
                    using var s = e.Open();
                    var ms = new MemoryStream();
                    s.CopyTo(ms);
                    if (!seen.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(ms.ToArray())))) continue;
                    File.WriteAllBytes(Path.Combine(outDir, "pickle", $"{n:D4}-{e.FullName.Replace('/', '_')}"), ms.ToArray());
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException) { }
            n++;
        }
        var rng = new Random(7);
        for (int i = 0; i < 64; i++)
        {
            var b = new byte[64];
            rng.NextBytes(b);
            b[1] = (byte)(i % 9);
            File.WriteAllBytes(Path.Combine(outDir, "tensor", $"seed-{i:D2}"), b);
        }
        Console.WriteLine($"seeds written to {outDir} from {n} files");
    }
}
