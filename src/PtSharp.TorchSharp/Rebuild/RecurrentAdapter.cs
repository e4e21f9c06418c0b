using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Rebuild;

/// <summary>
/// An LSTM or GRU as a one-tensor module (the output sequence, as <c>module(x)[0]</c> in Python). The recurrent
/// module's parameters are registered on the adapter itself, so keys stay <c>weight_ih_l0</c> and so on.
/// </summary>
internal sealed class RecurrentAdapter : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _forward;
    private readonly nn.Module _inner;

    public RecurrentAdapter(nn.Module inner, Func<Tensor, Tensor> forward) : base(inner.GetName())
    {
        _inner = inner;
        _forward = forward;
        foreach (var (name, p) in inner.named_parameters()) register_parameter(name, p);
    }

    public override Tensor forward(Tensor x) => _forward(x);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
