using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>
/// Rebuilds nested state from DCP's flattened items as torch's <c>set_element</c> does: a string key steps into a
/// dict, an integer key into a list (grown with <see langword="null"/> as needed).
/// </summary>
internal static class DcpNesting
{
    public static void Set(PyDict root, IReadOnlyList<object> path, object? value)
    {
        object container = root;
        for (int i = 0; i < path.Count; i++)
        {
            bool last = i == path.Count - 1;
            object key = path[i];
            switch (container)
            {
                case PyDict d:
                    if (last) { d.Set(key, value); return; }
                    if (!d.TryGetValue(key, out var existing) || existing is null) { existing = NewFor(path[i + 1]); d.Set(key, existing); }
                    container = existing;
                    break;
                case PyList l when key is long index && index >= 0 && index < int.MaxValue:
                    while (l.Count <= index) l.Add(null);
                    if (last) { l[(int)index] = value; return; }
                    l[(int)index] ??= NewFor(path[i + 1]);
                    container = l[(int)index]!;
                    break;
                default:
                    ThrowHelper.Format(PtErrorKind.CorruptPickle, $"planner_data path ({string.Join(", ", path)}) steps into {PickleMachine.Describe(container)} with key {key}", DcpMetadataReader.FileName, null);
                    return;
            }
        }
    }

    private static object NewFor(object key) => key is long ? new PyList() : new PyDict();
}
