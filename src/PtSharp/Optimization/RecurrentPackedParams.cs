using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// The value of <c>rnn._all_weight_values.N.param</c> in a dynamically quantized LSTM/GRU's state dict: the
/// TorchScript object <c>make_quantized_cell_params_dynamic(packed_ih, packed_hh, b_ih, b_hh, True)</c>, as
/// <c>torch.save</c> pickles it (the same in torch 1.13 and 2.6): <c>GLOBAL torch.ScriptObject</c>,
/// <c>EMPTY_TUPLE</c>, <c>NEWOBJ</c>, then <c>BUILD</c> with <c>(__getstate__(), qualified class name)</c>:
/// <code>
/// (('quantized_dynamic', [b_ih, b_hh], [], [1], [packed_ih, packed_hh]), '__torch__.torch.classes.rnn.CellParamsBase')
/// packed_x = ScriptObject with ((qint8 w_x, b_x), '__torch__.torch.classes.quantized.LinearPackedParamsBase')
/// </code>
/// The biases are the float module's Parameters (<c>requires_grad=True</c>), each the same object in the list and
/// in its packed weight. <c>[1]</c> is <c>reduce_range</c>, which version-2 modules pass as true.
/// </summary>
internal static class RecurrentPackedParams
{
    public const string CellClass = "__torch__.torch.classes.rnn.CellParamsBase";
    public const string PackedClass = "__torch__.torch.classes.quantized.LinearPackedParamsBase";

    /// <summary>
    /// One cell's ScriptObject; <paramref name="scriptObject"/> is the shared <c>torch.ScriptObject</c> global
    /// (one instance per file, so it is pickled once and memoized as torch does).
    /// </summary>
    public static PyObject Create(PyGlobal scriptObject, PtTensor weightIh, PtTensor weightHh, PtTensor biasIh,
        PtTensor biasHh)
    {
        var bih = AsParameter(biasIh);
        var bhh = AsParameter(biasHh);
        var state = new PyTuple([
            "quantized_dynamic",
            new PyList([bih, bhh]),
            new PyList(),
            new PyList([1L]),
            new PyList([Packed(scriptObject, weightIh, bih), Packed(scriptObject, weightHh, bhh)]),
        ]);
        return ScriptObject(scriptObject, state, CellClass);
    }

    private static PyObject Packed(PyGlobal scriptObject, PtTensor qweight, PtTensor bias) =>
        ScriptObject(scriptObject, new PyTuple([qweight, bias]), PackedClass);

    private static PyObject ScriptObject(PyGlobal scriptObject, PyTuple state, string qualifiedName) =>
        new(scriptObject, new PyTuple([]), PyConstruction.NewObj) { State = new PyTuple([state, qualifiedName]) };

    /// <summary>A bias as the float module holds it: a Parameter that requires grad.</summary>
    public static PtTensor AsParameter(PtTensor bias)
    {
        var p = bias.Detach();
        p.IsParameter = true;
        p.RequiresGrad = true;
        return p;
    }
}
