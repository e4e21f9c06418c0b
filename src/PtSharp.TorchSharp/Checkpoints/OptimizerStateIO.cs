using PtSharp.Pickle;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp.Checkpoints;

/// <summary>
/// Moves Python optimizer state dicts (<c>{'state': {i: {...}}, 'param_groups': [...]}</c>) into TorchSharp's
/// Adam, AdamW and SGD, and back. Parameters are matched by order, as <c>optimizer.load_state_dict</c> does:
/// the i-th parameter of the optimizer's groups is Python's index <c>params[k]</c> of the same group.
/// </summary>
internal static class OptimizerStateIO
{
    public static void Load(OptimizerHelper optimizer, PyDict saved, string where)
    {
        var sd = optimizer.state_dict();
        if (saved.TryGetValue("param_groups", out var g) is false || g is not PyList groups)
            throw Bad(where, "has no 'param_groups' list");
        var states = saved.TryGetValue("state", out var s) && s is PyDict d ? d : new PyDict();
        if (groups.Count != sd.Options.Count)
            throw Bad(where, $"has {groups.Count} parameter groups but the optimizer has {sd.Options.Count}");
        using var importer = new TensorImporter();
        using var _ = torch.no_grad();
        for (int gi = 0; gi < groups.Count; gi++)
        {
            if (groups[gi] is not PyDict group || !group.TryGetValue("params", out var p) || p is not PyList indices)
                throw Bad(where, $"param group {gi} has no 'params' list");
            var ours = sd.StateIndexRef[gi];
            if (indices.Count != ours.Count)
                throw Bad(where, $"param group {gi} has {indices.Count} parameters but the optimizer's has {ours.Count}");
            LoadOptions(sd.Options[gi], group, $"{where} param group {gi}");
            for (int k = 0; k < ours.Count; k++)
            {
                long index = PyValueReader.Long(indices[k], $"{where} param group {gi} params[{k}]");
                if (!states.TryGetValue(index, out var st) || st is not PyDict state) continue; // no step taken yet
                LoadState(sd.State[ours[k]], state, importer, $"{where} state {index}");
            }
        }
    }

    private static void LoadOptions(OptimizerOptions options, PyDict g, string where)
    {
        double Get(string key) => PyValueReader.Double(g.TryGetValue(key, out var v) ? v : throw Bad(where, $"has no '{key}'"), $"{where} '{key}'");
        bool Flag(string key) => PyValueReader.Bool(g.TryGetValue(key, out var v) ? v : null, false);
        options.LearningRate = Get("lr");
        options.InitialLearningRate = g.TryGetValue("initial_lr", out var initial) ? PyValueReader.Double(initial, where) : Get("lr");
        switch (options)
        {
            case Adam.Options a:
                (a.beta1, a.beta2) = Betas(g, where);
                a.eps = Get("eps"); a.weight_decay = Get("weight_decay"); a.amsgrad = Flag("amsgrad"); a.maximize = Flag("maximize");
                break;
            case AdamW.Options a:
                (a.beta1, a.beta2) = Betas(g, where);
                a.eps = Get("eps"); a.weight_decay = Get("weight_decay"); a.amsgrad = Flag("amsgrad"); a.maximize = Flag("maximize");
                break;
            case SGD.Options o:
                o.momentum = Get("momentum"); o.dampening = Get("dampening"); o.weight_decay = Get("weight_decay");
                o.nesterov = Flag("nesterov"); o.maximize = Flag("maximize");
                break;
            default:
                throw new NotSupportedException($"{options.GetType().DeclaringType?.Name ?? options.GetType().Name} state is not supported; use Adam, AdamW or SGD");
        }
    }

    private static (double, double) Betas(PyDict g, string where) =>
        g.TryGetValue("betas", out var b) && b is PyTuple { Count: 2 } t
            ? (PyValueReader.Double(t[0], where + " betas"), PyValueReader.Double(t[1], where + " betas"))
            : throw Bad(where, "has no 'betas' pair");

    private static void LoadState(OptimizerState target, PyDict s, TensorImporter importer, string where)
    {
        Tensor? T(string key, Tensor? current)
        {
            if (!s.TryGetValue(key, out var v) || v is null) return current;
            if (v is not PtTensor pt) throw Bad(where, $"'{key}' is {PyValueReader.Describe(v)}, not a tensor");
            var loaded = importer.Import(pt, $"{where} {key}");
            if (current is not null && current.shape.SequenceEqual(loaded.shape)) { current.copy_(loaded); return current; }
            return loaded.clone().detach().DetachFromDisposeScope();
        }
        long Step() => s.TryGetValue("step", out var v) ? PyValueReader.Long(v, where + " step") : 0;
        switch (target)
        {
            case Adam.State a:
                a.step = Step(); a.exp_avg = T("exp_avg", a.exp_avg)!; a.exp_avg_sq = T("exp_avg_sq", a.exp_avg_sq)!;
                a.max_exp_avg_sq = T("max_exp_avg_sq", a.max_exp_avg_sq);
                break;
            case AdamW.State a:
                a.step = Step(); a.exp_avg = T("exp_avg", a.exp_avg)!; a.exp_avg_sq = T("exp_avg_sq", a.exp_avg_sq)!;
                a.max_exp_avg_sq = T("max_exp_avg_sq", a.max_exp_avg_sq);
                break;
            case SGD.State o:
                o.momentum_buffer = T("momentum_buffer", o.momentum_buffer)!;
                break;
            default:
                throw new NotSupportedException($"{target.GetType().DeclaringType?.Name} state is not supported; use Adam, AdamW or SGD");
        }
    }

    /// <summary>The optimizer's state as Python's <c>optimizer.state_dict()</c> writes it (torch 2.x keys).</summary>
    public static PyDict Save(OptimizerHelper optimizer, TensorExporter exporter)
    {
        var sd = optimizer.state_dict();
        var state = new PyDict();
        var groups = new PyList();
        for (int gi = 0; gi < sd.Options.Count; gi++)
        {
            var g = new PyDict();
            var o = sd.Options[gi];
            g["lr"] = o.LearningRate ?? 0.0;
            switch (o)
            {
                case Adam.Options a: AdamGroup(g, a.beta1, a.beta2, a.eps, a.weight_decay, a.amsgrad, a.maximize); break;
                case AdamW.Options a: AdamGroup(g, a.beta1, a.beta2, a.eps, a.weight_decay, a.amsgrad, a.maximize); break;
                case SGD.Options s:
                    g["momentum"] = s.momentum ?? 0.0; g["dampening"] = s.dampening ?? 0.0; g["weight_decay"] = s.weight_decay ?? 0.0;
                    g["nesterov"] = s.nesterov ?? false; g["maximize"] = s.maximize ?? false; g["foreach"] = null;
                    // Unlike Adam's, SGD's __setstate__ fills a missing fused with False while a fresh SGD has None
                    // (torch 2.6), so SGD writes its switches; torch 1.13's SGD has no fused and ignores the key.
                    g["differentiable"] = false; g["fused"] = null;
                    break;
                default: throw new NotSupportedException($"{o.GetType().DeclaringType?.Name} state cannot be saved; use Adam, AdamW or SGD");
            }
            if (o.InitialLearningRate != 0 && o.InitialLearningRate != o.LearningRate) g["initial_lr"] = o.InitialLearningRate;
            var indices = new PyList();
            foreach (int i in sd.StateIndexRef[gi])
            {
                indices.Add((long)i);
                var entry = StateEntry(sd.State[i], exporter);
                if (entry is not null) state[(long)i] = entry;
            }
            g["params"] = indices;
            groups.Add(g);
        }
        return new PyDict { ["state"] = state, ["param_groups"] = groups };
    }

    private static void AdamGroup(PyDict g, double? b1, double? b2, double? eps, double? wd, bool? amsgrad, bool? maximize)
    {
        g["betas"] = new PyTuple([b1 ?? 0.9, b2 ?? 0.999]);
        g["eps"] = eps ?? 1e-8; g["weight_decay"] = wd ?? 0.0; g["amsgrad"] = amsgrad ?? false; g["maximize"] = maximize ?? false;
        // foreach/capturable/differentiable/fused are implementation switches whose defaults differ by version (torch
        // 1.13 Adam: fused=False, 2.6: fused=None); each optimizer's __setstate__ fills missing ones with its own
        // default (group.setdefault), so leaving them out is what both versions load as their own.
    }

    private static PyDict? StateEntry(OptimizerState s, TensorExporter exporter)
    {
        PyDict Adamish(long step, Tensor avg, Tensor sq, Tensor? max)
        {
            // torch ≥ 1.12 keeps 'step' as a float32 0-dim tensor.
            var d = new PyDict { ["step"] = PtTensor.Scalar((float)step), ["exp_avg"] = exporter.Export(avg), ["exp_avg_sq"] = exporter.Export(sq) };
            if (max is not null) d["max_exp_avg_sq"] = exporter.Export(max);
            return d;
        }
        return s switch
        {
            Adam.State { step: > 0 } a => Adamish(a.step, a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq),
            AdamW.State { step: > 0 } a => Adamish(a.step, a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq),
            SGD.State { momentum_buffer: { } buf } => new PyDict { ["momentum_buffer"] = exporter.Export(buf) },
            _ => null,
        };
    }

    private static PtFormatException Bad(string where, string what) => new(PtErrorKind.Unsupported, $"{where} {what}");
}
