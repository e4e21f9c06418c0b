using PtSharp.Modules;

namespace PtSharp.Tests.Modules;

/// <summary>A spec's hyper-parameters under torch's attribute names, as module_zoo.py lists them.</summary>
internal static class ModuleAttributeView
{
    public static Dictionary<string, object?> Of(ModuleSpec spec)
    {
        var a = new Dictionary<string, object?>();
        switch (spec)
        {
            case LinearSpec l: a["in_features"] = l.InFeatures; a["out_features"] = l.OutFeatures; a["bias"] = l.HasBias; break;
            case ConvSpec c:
                a["in_channels"] = c.InChannels; a["out_channels"] = c.OutChannels; a["kernel_size"] = c.KernelSize;
                a["stride"] = c.Stride; a["padding"] = c.PaddingText ?? (object)c.Padding; a["dilation"] = c.Dilation;
                a["groups"] = c.Groups; a["padding_mode"] = c.PaddingMode; a["bias"] = c.HasBias;
                break;
            case BatchNormSpec b:
                a["num_features"] = b.NumFeatures; a["eps"] = b.Eps; a["momentum"] = b.Momentum; a["affine"] = b.Affine;
                a["track_running_stats"] = b.TrackRunningStats;
                break;
            case LayerNormSpec n:
                a["normalized_shape"] = n.NormalizedShape; a["eps"] = n.Eps; a["elementwise_affine"] = n.ElementwiseAffine; a["bias"] = n.HasBias;
                break;
            case GroupNormSpec g: a["num_groups"] = g.NumGroups; a["num_channels"] = g.NumChannels; a["eps"] = g.Eps; a["affine"] = g.Affine; break;
            case EmbeddingSpec e: a["num_embeddings"] = e.NumEmbeddings; a["embedding_dim"] = e.EmbeddingDim; a["padding_idx"] = e.PaddingIdx; break;
            case DropoutSpec d: a["p"] = d.P; a["inplace"] = d.InPlace; break;
            case FlattenSpec f: a["start_dim"] = f.StartDim; a["end_dim"] = f.EndDim; break;
            case RecurrentSpec r:
                a["mode"] = r.Mode; a["input_size"] = r.InputSize; a["hidden_size"] = r.HiddenSize; a["num_layers"] = r.NumLayers;
                a["bias"] = r.HasBias; a["batch_first"] = r.BatchFirst; a["dropout"] = r.Dropout; a["bidirectional"] = r.Bidirectional;
                break;
            case MultiheadAttentionSpec m:
                a["embed_dim"] = m.EmbedDim; a["num_heads"] = m.NumHeads; a["dropout"] = m.Dropout; a["add_zero_attn"] = m.AddZeroAttn;
                a["kdim"] = m.KDim; a["vdim"] = m.VDim; a["batch_first"] = m.BatchFirst;
                break;
            case TransformerEncoderSpec t: a["num_layers"] = t.NumLayers; break;
            case TransformerEncoderLayerSpec t:
                a["d_model"] = t.DModel; a["nhead"] = t.NHead; a["dim_feedforward"] = t.DimFeedforward; a["norm_first"] = t.NormFirst;
                a["activation"] = t.Activation;
                break;
            case ActivationSpec x:
                a["negative_slope"] = a["alpha"] = a["beta"] = x.Alpha;
                a["min_val"] = x.MinValue; a["max_val"] = a["threshold"] = x.MaxValue;
                a["approximate"] = x.Approximate; a["dim"] = x.Dim;
                break;
            case PoolSpec p: a["kernel_size"] = p.KernelSize; a["stride"] = p.Stride; a["padding"] = p.Padding; a["ceil_mode"] = p.CeilMode; break;
            case AdaptivePoolSpec p: a["output_size"] = p.OutputSize; break;
            case TorchVisionSpec v: a["use_res_connect"] = v.UseResidual; break;
        }
        return a;
    }
}
