using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>
/// A module's state in the order <c>nn.Module.state_dict()</c> uses in Python: for each module its own parameters,
/// then its persistent buffers, then each child in turn. (TorchSharp's <c>state_dict()</c> lists all parameters of
/// the tree first and all buffers after them.)
/// </summary>
internal static class TorchOrder
{
    public static List<KeyValuePair<string, Tensor>> StateDict(nn.Module module)
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Walk(module, "", result, seen);
        return result;
    }

    private static void Walk(nn.Module module, string prefix, List<KeyValuePair<string, Tensor>> result, HashSet<string> seen)
    {
        foreach (var (name, p) in module.named_parameters(recurse: false))
            if (seen.Add(prefix + name)) result.Add(new(prefix + name, p));
        foreach (var (name, b) in module.named_buffers(recurse: false, include_nonpersistent: false))
            if (seen.Add(prefix + name)) result.Add(new(prefix + name, b));
        foreach (var (name, child) in module.named_children())
            Walk(child, prefix + name + ".", result, seen);
    }
}
