using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Optimization;

/// <summary>
/// Writes an optimized state dict and reads the temporary file back before it replaces the output: the same keys
/// in the same order, and every tensor (also inside tuples, lists and object states such as the TorchScript packed
/// params of a quantized LSTM) with the dtype, shape and quantization scheme written.
/// The computed values themselves are not recomputed.
/// </summary>
internal static class OutputCheck
{
    public static void Save(string output, PyDict stateDict) =>
        PtWriter.Save(output, stateDict, new PtSaveOptions(), temp =>
        {
            using var back = PtFile.Open(temp);
            if (back.Root is not PyDict dict)
                throw new PtWriteException("verification failed: the written file holds no dict", output);
            var expectedKeys = stateDict.Keys.ToList();
            var actualKeys = dict.Keys.ToList();
            var expectedNames = expectedKeys.Select(ModuleWalker.Key);
            if (!expectedNames.SequenceEqual(actualKeys.Select(ModuleWalker.Key), StringComparer.Ordinal))
                throw new PtWriteException(
                    $"verification failed: {actualKeys.Count} keys read back, {expectedKeys.Count} written", output);
            foreach (var key in expectedKeys) Compare(stateDict[key], dict[key], key as string ?? "?", output);
        });

    private static void Compare(object? expected, object? actual, string name, string output)
    {
        switch (expected)
        {
            case PtTensor e when actual is PtTensor a:
                if (e.DType != a.DType || !e.Shape.SequenceEqual(a.Shape)
                    || e.Quantization?.Scheme != a.Quantization?.Scheme)
                    throw new PtWriteException($"verification failed: {name} reads back as {a}, {e} was written",
                        output);
                return;
            case PyTuple e when actual is PyTuple a && e.Count == a.Count:
                for (int i = 0; i < e.Count; i++) Compare(e[i], a[i], $"{name}[{i}]", output);
                return;
            case PyList e when actual is PyList a && e.Count == a.Count:
                for (int i = 0; i < e.Count; i++) Compare(e[i], a[i], $"{name}[{i}]", output);
                return;
            case PyObject e when actual is PyObject a && Equals(e.Class, a.Class):
                Compare(e.State, a.State, name, output);
                return;
            case PtTensor or PyTuple or PyList or PyObject:
                throw new PtWriteException(
                    $"verification failed: {name} reads back as {actual?.GetType().Name ?? "None"}", output);
        }
    }
}
