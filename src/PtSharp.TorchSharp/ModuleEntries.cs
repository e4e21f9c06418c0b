using System.Collections.Concurrent;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>
/// A module's state-dict entries (parameters and buffers by dotted key, the keys <c>module.state_dict()</c> gives),
/// collected in one walk of the module tree. TorchSharp's own <c>state_dict()</c> asks every level for all its
/// descendants' parameters again, building each key once per level (about 1.5 KB of managed garbage per entry);
/// a walk builds each key once. A module that overrides <c>state_dict</c> is asked for its own.
/// </summary>
internal static class ModuleEntries
{
    private static readonly ConcurrentDictionary<Type, bool> Overrides = new();

    public static Dictionary<string, Tensor> Of(nn.Module module)
    {
        var entries = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Walk(module, "", entries);
        return entries;
    }

    private static void Walk(nn.Module module, string prefix, Dictionary<string, Tensor> entries)
    {
        if (OverridesStateDict(module.GetType()))
        {
            foreach (var (key, t) in module.state_dict()) entries.TryAdd(prefix + key, t);
            return;
        }
        foreach (var (name, p) in module.named_parameters(recurse: false)) entries.TryAdd(prefix + name, p);
        foreach (var (name, b) in module.named_buffers(recurse: false)) entries.TryAdd(prefix + name, b);
        foreach (var (name, child) in module.named_children()) Walk(child, prefix + name + ".", entries);
    }

    private static bool OverridesStateDict(Type type) => Overrides.GetOrAdd(type, static t =>
        t.GetMethod(nameof(nn.Module.state_dict), BindingFlags.Public | BindingFlags.Instance,
            [typeof(Dictionary<string, Tensor>), typeof(string)])?.DeclaringType != typeof(nn.Module));
}
