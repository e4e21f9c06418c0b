using PtSharp.Pickle;
using PtSharp.Transforms;

namespace PtSharp.TorchSharp;

/// <summary>A state dict opened with <see cref="Checkpoint.Open"/> (any format it reads), keys transformed, with torch's <c>_metadata</c>.</summary>
internal sealed class OpenedStateDict : IDisposable
{
    private readonly Checkpoint _source;

    private OpenedStateDict(Checkpoint source, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, long> versions, bool hasMetadata)
    {
        _source = source;
        Tensors = tensors;
        Versions = versions;
        HasMetadata = hasMetadata;
    }

    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>Module prefix (no trailing dot, <c>""</c> for the root) → the <c>version</c> torch recorded.</summary>
    public IReadOnlyDictionary<string, long> Versions { get; }

    /// <summary>True when the file carried <c>_metadata</c>.</summary>
    public bool HasMetadata { get; }

    public static OpenedStateDict Open(string path, PtTorchOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new PtTorchOptions();
        var source = Checkpoint.Open(path, new CheckpointOptions { StateDictKey = options.Key, PtOptions = options.PtOptions });
        try
        {
            var keys = options.EffectiveKeys();
            IReadOnlyList<NamedTensor> tensors = keys.IsEmpty ? source.StateDict : KeyTransform.Apply(source.StateDict, keys).Tensors;
            var (versions, has) = ReadVersions(source, keys);
            return new OpenedStateDict(source, tensors, versions, has);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, long>, bool) ReadVersions(Checkpoint source, KeyTransformOptions keys)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        if (source.PtFile?.Root is not { } root) return (versions, false);
        var dict = root as PyDict;
        if (dict is not null && !dict.Values.OfType<PtTensor>().Any())
            dict = dict.Values.OfType<PyDict>().FirstOrDefault(d => d.Attributes?.ContainsKey("_metadata") == true);
        if (dict?.Attributes is not { } attributes || !attributes.TryGetValue("_metadata", out var m) || m is not PyDict metadata)
            return (versions, false);
        foreach (var kv in metadata)
        {
            if (kv.Key is not string prefix || kv.Value is not PyDict entry || !entry.TryGetValue("version", out var v) || v is not long version)
                continue;
            string name = prefix.Length == 0 ? "" : prefix + ".";
            foreach (var p in keys.StripPrefixes)
                if (p.Length > 0 && name.StartsWith(p, StringComparison.Ordinal)) name = name[p.Length..];
            versions[name.TrimEnd('.')] = version;
        }
        return (versions, true);
    }

    public void Dispose() => _source.Dispose();
}
