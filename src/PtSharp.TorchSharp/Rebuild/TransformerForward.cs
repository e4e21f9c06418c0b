using PtSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PtSharp.TorchSharp.Rebuild;

/// <summary>
/// The forwards of <c>nn.TransformerEncoderLayer</c> and <c>nn.TransformerEncoder</c> without masks, over the
/// rebuilt children (<c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>,
/// <c>dropout1</c>, <c>dropout2</c>; <c>layers</c> and an optional <c>norm</c>), as torch's Python code runs them.
/// </summary>
internal static class TransformerForward
{
    public static Tensor EncoderLayer(TransformerEncoderLayerSpec spec, RebuiltModule layer, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var attention = layer.C("self_attn") as AttentionModule
            ?? throw new InvalidOperationException("TransformerEncoderLayer.self_attn is not a MultiheadAttention");
        Tensor SelfAttention(Tensor t) => layer.C("dropout1").call(attention.Attend(t, t, t));
        Tensor FeedForward(Tensor t)
        {
            var h = layer.C("linear1").call(t);
            h = layer.Find("activation") is { } act ? act.call(h)
                : spec.Activation == "gelu" ? F.gelu(h) : F.relu(h);
            return layer.C("dropout2").call(layer.C("linear2").call(layer.C("dropout").call(h)));
        }
        var norm1 = layer.C("norm1");
        var norm2 = layer.C("norm2");
        if (spec.NormFirst)
        {
            x = x + SelfAttention(norm1.call(x));
            x = x + FeedForward(norm2.call(x));
        }
        else
        {
            x = norm1.call(x + SelfAttention(x));
            x = norm2.call(x + FeedForward(x));
        }
        return x.MoveToOuterDisposeScope();
    }

    public static Tensor Encoder(RebuiltModule encoder, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var layers = encoder.C("layers") as RebuiltModule
            ?? throw new InvalidOperationException("TransformerEncoder.layers is not a ModuleList");
        foreach (var layer in layers.Ordered) x = layer.call(x);
        if (encoder.Find("norm") is { } norm) x = norm.call(x);
        return x.MoveToOuterDisposeScope();
    }
}
