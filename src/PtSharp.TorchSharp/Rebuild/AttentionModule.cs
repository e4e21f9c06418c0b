using PtSharp.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PtSharp.TorchSharp.Rebuild;

/// <summary>
/// <c>nn.MultiheadAttention</c> rebuilt in managed code with torch's parameter names (<c>in_proj_weight</c> or
/// <c>q/k/v_proj_weight</c>, <c>in_proj_bias</c>, <c>bias_k</c>/<c>bias_v</c>, <c>out_proj</c>), so its state dict
/// keys are torch's. The forward is torch's <c>F.multi_head_attention_forward</c> without masks, with
/// <c>batch_first</c>, <c>kdim</c>/<c>vdim</c>, <c>add_bias_kv</c> and <c>add_zero_attn</c>. Called with one tensor
/// it is self-attention, as <c>m(x, x, x)[0]</c> in Python.
/// </summary>
internal sealed class AttentionModule : nn.Module<Tensor, Tensor>
{
    private readonly MultiheadAttentionSpec _spec;
    // Held in a dictionary, not fields: TorchSharp registers Module/Parameter fields under the field's name.
    private readonly Dictionary<string, Parameter> _p = new(StringComparer.Ordinal);
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _m = new(StringComparer.Ordinal);

    public AttentionModule(MultiheadAttentionSpec spec, nn.Module<Tensor, Tensor> outProj) : base("MultiheadAttention")
    {
        _spec = spec;
        long e = spec.EmbedDim;
        if (spec.NumHeads <= 0 || e % spec.NumHeads != 0)
            throw new PtFormatException(PtErrorKind.Unsupported,
                $"MultiheadAttention has embed_dim {e} and num_heads {spec.NumHeads}: embed_dim must divide evenly");
        bool packed = spec.Parameters.Contains("in_proj_weight");
        if (packed) Add("in_proj_weight", 3 * e, e);
        else
        {
            Add("q_proj_weight", e, e);
            Add("k_proj_weight", e, spec.KDim);
            Add("v_proj_weight", e, spec.VDim);
        }
        if (spec.HasBias) Add("in_proj_bias", 3 * e);
        _m["out_proj"] = outProj;
        register_module("out_proj", outProj);
        if (spec.AddBiasKv)
        {
            Add("bias_k", 1, 1, e);
            Add("bias_v", 1, 1, e);
        }
    }

    private void Add(string name, params long[] shape)
    {
        var p = new Parameter(torch.zeros(shape));
        register_parameter(name, p);
        _p[name] = p;
    }

    private Parameter? P(string name) => _p.GetValueOrDefault(name);

    public override Tensor forward(Tensor x)
    {
        if (_spec.KDim != _spec.EmbedDim || _spec.VDim != _spec.EmbedDim)
            throw new InvalidOperationException(
                $"this MultiheadAttention has kdim {_spec.KDim} and vdim {_spec.VDim} (embed_dim {_spec.EmbedDim}): " +
                "it takes separate query, key and value and cannot run as self-attention on one tensor");
        return Attend(x, x, x);
    }

    /// <summary><c>m(query, key, value)[0]</c>: the attention output (no masks).</summary>
    public Tensor Attend(Tensor query, Tensor key, Tensor value)
    {
        using var scope = torch.NewDisposeScope();
        bool unbatched = query.Dimensions == 2;
        if (unbatched)
        {
            query = query.unsqueeze(1);
            key = key.unsqueeze(1);
            value = value.unsqueeze(1);
        }
        else if (_spec.BatchFirst)
        {
            query = query.transpose(0, 1);
            key = key.transpose(0, 1);
            value = value.transpose(0, 1);
        }
        var y = Core(query, key, value);
        y = unbatched ? y.squeeze(1) : _spec.BatchFirst ? y.transpose(0, 1) : y;
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Sequence-first inputs (L, N, E), as torch's functional form.</summary>
    private Tensor Core(Tensor query, Tensor key, Tensor value)
    {
        long e = _spec.EmbedDim, heads = _spec.NumHeads, headDim = e / heads;
        long tgtLen = query.shape[0], batch = query.shape[1];
        var bias = P("in_proj_bias");
        var (bq, bk, bv) = bias is null ? (null, null, null)
            : (bias.narrow(0, 0, e), bias.narrow(0, e, e), bias.narrow(0, 2 * e, e));
        Tensor q, k, v;
        if (P("in_proj_weight") is { } packed)
        {
            q = F.linear(query, packed.narrow(0, 0, e), bq);
            k = F.linear(key, packed.narrow(0, e, e), bk);
            v = F.linear(value, packed.narrow(0, 2 * e, e), bv);
        }
        else
        {
            q = F.linear(query, _p["q_proj_weight"], bq);
            k = F.linear(key, _p["k_proj_weight"], bk);
            v = F.linear(value, _p["v_proj_weight"], bv);
        }
        if (P("bias_k") is { } biasK)
        {
            k = torch.cat([k, biasK.repeat(1, batch, 1)], 0);
            v = torch.cat([v, _p["bias_v"].repeat(1, batch, 1)], 0);
        }
        q = q.reshape(tgtLen, batch * heads, headDim).transpose(0, 1);
        k = k.reshape(k.shape[0], batch * heads, headDim).transpose(0, 1);
        v = v.reshape(v.shape[0], batch * heads, headDim).transpose(0, 1);
        if (_spec.AddZeroAttn)
        {
            k = torch.cat([k, torch.zeros([batch * heads, 1, headDim], k.dtype, k.device)], 1);
            v = torch.cat([v, torch.zeros([batch * heads, 1, headDim], v.dtype, v.device)], 1);
        }
        var weights = torch.bmm(q * Math.Sqrt(1.0 / headDim), k.transpose(-2, -1)).softmax(-1);
        if (training && _spec.Dropout > 0) weights = F.dropout(weights, _spec.Dropout, training: true);
        var y = torch.bmm(weights, v).transpose(0, 1).contiguous().view(tgtLen * batch, e);
        return _m["out_proj"].call(y).view(tgtLen, batch, e);
    }
}
