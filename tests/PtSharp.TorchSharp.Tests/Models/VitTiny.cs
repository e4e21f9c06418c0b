using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Tests.Models;

/// <summary>
/// torchvision's VisionTransformer written in TorchSharp with torchvision's module names (TorchVision for .NET has
/// no ViT), configured as make_files.py's vit_tiny: 32×32 images, 8×8 patches, 2 layers, 2 heads, width 32, MLP 64.
/// </summary>
internal sealed class VitTiny : nn.Module<Tensor, Tensor>
{
    private const long Hidden = 32, Patch = 8, Image = 32;
    private readonly Conv2d conv_proj = nn.Conv2d(3, Hidden, (Patch, Patch), (Patch, Patch));
    private readonly Parameter class_token = nn.Parameter(torch.zeros(1, 1, Hidden));
    private readonly Encoder encoder = new(2, 2, Hidden, 64, (Image / Patch) * (Image / Patch) + 1);
    private readonly Sequential heads = nn.Sequential(("head", nn.Linear(Hidden, 10)));

    public VitTiny() : base("VisionTransformer") => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long n = x.shape[0];
        var y = conv_proj.call(x).reshape(n, Hidden, -1).permute(0, 2, 1);
        y = torch.cat([class_token.expand(n, -1, -1), y], 1);
        y = encoder.call(y);
        return heads.call(y[.., 0]).MoveToOuterDisposeScope();
    }

    private sealed class Encoder : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter pos_embedding;
        private readonly Sequential layers;
        private readonly LayerNorm ln;

        public Encoder(int numLayers, long heads, long hidden, long mlp, long sequence) : base("Encoder")
        {
            pos_embedding = nn.Parameter(torch.zeros(1, sequence, hidden));
            layers = nn.Sequential(Enumerable.Range(0, numLayers)
                .Select(i => ($"encoder_layer_{i}", (nn.Module<Tensor, Tensor>)new Block(heads, hidden, mlp))).ToArray());
            ln = nn.LayerNorm(hidden, 1e-6);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => ln.call(layers.call(x + pos_embedding));
    }

    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln_1, ln_2;
        private readonly MultiheadAttention self_attention;
        private readonly Sequential mlp;

        public Block(long heads, long hidden, long mlpDim) : base("EncoderBlock")
        {
            ln_1 = nn.LayerNorm(hidden, 1e-6);
            self_attention = nn.MultiheadAttention(hidden, heads);
            ln_2 = nn.LayerNorm(hidden, 1e-6);
            mlp = nn.Sequential(("0", nn.Linear(hidden, mlpDim)), ("1", nn.GELU()), ("2", nn.Dropout(0)),
                ("3", nn.Linear(mlpDim, hidden)), ("4", nn.Dropout(0)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            // torchvision's attention is batch_first; TorchSharp's MultiheadAttention is sequence-first.
            var q = ln_1.call(input).transpose(0, 1);
            var x = self_attention.call(q, q, q, null, false).Item1.transpose(0, 1) + input;
            return x + mlp.call(ln_2.call(x));
        }
    }
}
