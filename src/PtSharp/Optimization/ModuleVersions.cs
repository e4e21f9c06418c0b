using PtSharp.Loading;
using PtSharp.Pickle;

namespace PtSharp.Optimization;

/// <summary>
/// The <c>_metadata</c> that <c>state_dict()</c> would record for a pickled module tree: one entry per module, in
/// the order <c>state_dict()</c> visits them, holding its class's <c>_version</c>. The version is a class attribute
/// the pickle does not hold, so it comes from a table of the torch classes that override it (the normalization
/// layers built on <c>_NormBase</c>: 2); every other module has nn.Module's 1.
/// </summary>
internal static class ModuleVersions
{
    private static readonly HashSet<string> VersionTwo = new(StringComparer.Ordinal)
    {
        "torch.nn.modules.batchnorm.BatchNorm1d", "torch.nn.modules.batchnorm.BatchNorm2d", "torch.nn.modules.batchnorm.BatchNorm3d",
        "torch.nn.modules.batchnorm.SyncBatchNorm", "torch.nn.modules.batchnorm.LazyBatchNorm1d",
        "torch.nn.modules.batchnorm.LazyBatchNorm2d", "torch.nn.modules.batchnorm.LazyBatchNorm3d",
        "torch.nn.modules.instancenorm.InstanceNorm1d", "torch.nn.modules.instancenorm.InstanceNorm2d",
        "torch.nn.modules.instancenorm.InstanceNorm3d",
    };

    /// <summary>The metadata of the tree under <paramref name="root"/>.</summary>
    public static PyDict Of(PyObject root)
    {
        var meta = new PyDict("collections.OrderedDict");
        Visit(root, "", meta, new ObjectWalk(maxSteps: Loading.StateDictMetadata.MaxSteps), 0);
        return meta;
    }

    // A shared submodule gets an entry under each name, as in torch: a re-walk, budgeted by the walk's steps.
    private static void Visit(PyObject module, string name, PyDict meta, ObjectWalk walk, int depth)
    {
        walk.Step(0, name);
        if (depth > 200) return;
        string cls = module.Callable is PyGlobal g ? g.Module + "." + g.Name : "";
        meta.Set(name, new PyDict { { "version", VersionTwo.Contains(cls) ? 2L : 1L } });
        if (module.Attributes!.TryGetValue("_modules", out var ms) && ms is PyDict modules)
            foreach (var kv in modules)
                if (kv.Value is PyObject child && ModuleWalker.IsModule(child))
                    Visit(child, name.Length == 0 ? ModuleWalker.Key(kv.Key) : name + "." + ModuleWalker.Key(kv.Key), meta, walk,
                        depth + 1);
    }
}
