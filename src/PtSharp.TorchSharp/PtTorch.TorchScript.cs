using PtSharp.Scanning;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

public static partial class PtTorch
{
    /// <summary>
    /// Loads a TorchScript archive (<c>torch.jit.save</c>) with TorchSharp's <c>torch.jit.load</c>, after PtSharp
    /// has scanned it and parsed it: a file the scanner finds dangerous, or that PtSharp's reader rejects (a
    /// malformed or hostile container), never reaches libtorch. Its weights also load with <see cref="LoadStateDict"/>.
    /// </summary>
    /// <exception cref="UnsafeFileException">The scanner found something dangerous.</exception>
    /// <exception cref="PtFormatException">PtSharp's reader rejects the file, or it is not a TorchScript archive.</exception>
    public static jit.ScriptModule LoadTorchScript(string path, ScanOptions? scanOptions = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var report = PtScanner.ScanFile(path, scanOptions);
        if (report.Error is { } error) throw new PtFormatException(PtErrorKind.CorruptContainer, $"{path}: {error}");
        if (report.IsDangerous) throw new UnsafeFileException(report);
        using (var file = PtFile.Open(path))
        {
            if (file.Format != PtFormat.TorchScript)
                throw new PtFormatException(PtErrorKind.Unsupported,
                    $"{path} is a {file.Kind} saved with torch.save, not a TorchScript archive; use LoadModule or LoadStateDict");
        }
        return jit.load(path);
    }
}
