using PtSharp.Loading;
using PtSharp.Optimization;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Tests.Optimization;

/// <summary>
/// LSTM/GRU stacks in state dicts built in .NET: the kind comes from <c>weight_hh</c>'s shape (an LSTM of hidden 3
/// and a GRU of hidden 4 both have 12 rows), the written value has the ScriptObject structure torch pickles,
/// stacks torch cannot quantize stay float with a note, and <c>--types</c> picks module types. (The values and the
/// loading into torch are checked against torch by <see cref="QuantizeRecurrentInTorchTests"/>.)
/// </summary>
public sealed class RecurrentQuantizationTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ptsharp-qrnn-");
    private int _seed;

    public void Dispose() => _dir.Delete(recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_dir.FullName, name);

    private PtTensor Random(params long[] shape)
    {
        var rng = new Random(++_seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        return PtTensor.FromArray(values, shape);
    }

    /// <summary>
    /// The state dict of an <c>nn.LSTM</c>/<c>nn.GRU(input, hidden, layers, bidirectional)</c> (4/3 gates) at
    /// <paramref name="prefix"/>.
    /// </summary>
    private List<NamedTensor> Stack(string prefix, int gates, long input, long hidden, int layers = 1,
        bool bidirectional = false, bool bias = true)
    {
        var list = new List<NamedTensor>();
        for (int l = 0; l < layers; l++)
            foreach (string suffix in bidirectional ? (string[])["", "_reverse"] : [""])
            {
                long inputSize = l == 0 ? input : hidden * (bidirectional ? 2 : 1);
                list.Add(new($"{prefix}weight_ih_l{l}{suffix}", Random(gates * hidden, inputSize)));
                list.Add(new($"{prefix}weight_hh_l{l}{suffix}", Random(gates * hidden, hidden)));
                if (!bias) continue;
                list.Add(new($"{prefix}bias_ih_l{l}{suffix}", Random(gates * hidden)));
                list.Add(new($"{prefix}bias_hh_l{l}{suffix}", Random(gates * hidden)));
            }
        return list;
    }

    private string Save(IEnumerable<NamedTensor> tensors)
    {
        string path = Path(Guid.NewGuid().ToString("N") + ".pt");
        PtWriter.SaveStateDict(path, tensors);
        return path;
    }

    [Fact]
    public void An_lstm_and_a_gru_with_the_same_row_count_are_told_apart_by_weight_hh()
    {
        // LSTM(5, 3): weight_hh [12, 3]; GRU(5, 4): weight_hh [12, 4]. Rows alone would not tell them apart.
        var input = Stack("a.", 4, 5, 3).Concat(Stack("b.", 3, 5, 4, layers: 2, bidirectional: true));
        string q = Path("q.pt");
        var report = DynamicQuantizer.Quantize(Save(input), q, new QuantizeOptions());
        Assert.Equal(["LSTM", "LSTM"], report.Layers.Where(l => l.Module == "a").Select(l => l.Kind));
        Assert.Equal(8, report.Layers.Count(l => l.Module == "b" && l.Kind == "GRU"));
        Assert.Equal("b.weight_hh_l1_reverse", report.Layers[^1].Weight);
        using var file = PtFile.Open(q);
        var dict = (PyDict)file.Root!;
        Assert.Equal(["a._all_weight_values.0.param", "b._all_weight_values.0.param", "b._all_weight_values.1.param",
            "b._all_weight_values.2.param", "b._all_weight_values.3.param"], dict.Keys.Cast<string>());
        var meta = (PyDict)dict.Attributes!["_metadata"]!;
        Assert.Equal(["", "a", "a._all_weight_values", "a._all_weight_values.0", "b", "b._all_weight_values",
            "b._all_weight_values.0", "b._all_weight_values.1", "b._all_weight_values.2", "b._all_weight_values.3"],
            meta.Keys.Cast<string>());
        Assert.Equal(2L, ((PyDict)meta["b"]!)["version"]);
        Assert.Equal(1L, ((PyDict)meta["b._all_weight_values.3"]!)["version"]);
    }

    [Fact]
    public void Each_cell_is_written_as_the_script_object_torch_pickles()
    {
        var input = Stack("rnn.", 4, 6, 2, bidirectional: true);
        string q = Path("q.pt");
        DynamicQuantizer.Quantize(Save(input), q, new QuantizeOptions { PerChannel = true });
        using var file = PtFile.Open(q);
        var param = Assert.IsType<PyObject>(((PyDict)file.Root!)["rnn._all_weight_values.1.param"]);
        Assert.Equal(new PyGlobal("torch", "ScriptObject"), param.Callable);
        Assert.Equal(PyConstruction.NewObj, param.Construction);
        Assert.Empty(param.Args);
        var outer = Assert.IsType<PyTuple>(param.State);
        Assert.Equal("__torch__.torch.classes.rnn.CellParamsBase", outer[1]);
        var state = Assert.IsType<PyTuple>(outer[0]);
        Assert.Equal("quantized_dynamic", state[0]);
        var biases = Assert.IsType<PyList>(state[1]);
        Assert.Empty(Assert.IsType<PyList>(state[2]));
        Assert.Equal([1L], Assert.IsType<PyList>(state[3]));
        var packed = Assert.IsType<PyList>(state[4]);
        Assert.Equal(2, packed.Count);
        for (int i = 0; i < 2; i++)
        {
            var bias = Assert.IsType<PtTensor>(biases[i]);
            Assert.True(bias.IsParameter && bias.RequiresGrad);
            var p = Assert.IsType<PyObject>(packed[i]);
            var pstate = Assert.IsType<PyTuple>(p.State);
            Assert.Equal("__torch__.torch.classes.quantized.LinearPackedParamsBase", pstate[1]);
            var wb = Assert.IsType<PyTuple>(pstate[0]);
            var w = Assert.IsType<PtTensor>(wb[0]);
            Assert.Equal(DType.QInt8, w.DType);
            Assert.Equal("per_channel_affine", w.Quantization!.Scheme);
            Assert.Equal(i == 0 ? [8L, 6L] : [8L, 2L], w.Shape);
            Assert.Same(bias, wb[1]); // one object, memoized, as torch writes it
        }
        // The reverse direction's float values went into cell 1.
        var reverse = input.Single(t => t.Name == "rnn.bias_hh_l0_reverse").Tensor.ToFloatArray();
        Assert.Equal(reverse, ((PtTensor)biases[1]!).ToFloatArray());
    }

    [Fact]
    public void Stacks_torch_cannot_quantize_stay_float_with_a_note()
    {
        var rnn = Stack("plain.", 1, 4, 3);                       // nn.RNN: one gate
        var noBias = Stack("nobias.", 4, 4, 3, bias: false);      // from_float asserts mod.bias
        var projected = Stack("proj.", 4, 4, 3);                  // proj_size: weight_hr
        projected.Add(new("proj.weight_hr_l0", Random(2, 3)));
        var broken = Stack("broken.", 4, 4, 3, layers: 2);
        broken[4] = new("broken.weight_ih_l1", Random(12, 5)); // layer 1's input must be hidden (3)
        var odd = Stack("odd.", 5, 4, 3);                          // 5 gates
        var all = rnn.Concat(noBias).Concat(projected).Concat(broken).Concat(odd).ToList();
        string q = Path("q.pt");
        var report = DynamicQuantizer.Quantize(Save(all), q, new QuantizeOptions());
        Assert.Empty(report.Layers);
        Assert.Contains(report.Notes, n => n.StartsWith("plain: a plain nn.RNN", StringComparison.Ordinal));
        Assert.Contains(report.Notes,
            n => n.StartsWith("nobias: ", StringComparison.Ordinal) && n.Contains("bias=False"));
        Assert.Contains(report.Notes, n => n.StartsWith("proj: an LSTM with proj_size", StringComparison.Ordinal));
        Assert.Contains(report.Notes, n => n.StartsWith("broken: the shapes", StringComparison.Ordinal));
        Assert.Contains(report.Notes, n => n.StartsWith("odd: ", StringComparison.Ordinal) && n.Contains("5 gates"));
        using var file = PtFile.Open(q);
        Assert.Equal(all.Select(t => t.Name), ((PyDict)file.Root!).Keys.Cast<string>());
    }

    [Fact]
    public void Types_pick_the_module_types_to_quantize()
    {
        var input = Stack("lstm.", 4, 5, 3).Concat(Stack("gru.", 3, 5, 4))
            .Append(new("fc.weight", Random(2, 5))).ToList();
        string path = Save(input);
        var linearOnly = DynamicQuantizer.Quantize(path, Path("l.pt"),
            new QuantizeOptions { Types = QuantizedModuleTypes.Linear });
        Assert.Equal(["fc"], linearOnly.Layers.Select(l => l.Module));
        var gruOnly = DynamicQuantizer.Quantize(path, Path("g.pt"),
            new QuantizeOptions { Types = QuantizedModuleTypes.Gru });
        Assert.Equal(["gru", "gru"], gruOnly.Layers.Select(l => l.Module));
        using var file = PtFile.Open(Path("g.pt"));
        Assert.Equal(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "gru._all_weight_values.0.param", "fc.weight"], ((PyDict)file.Root!).Keys.Cast<string>());
        var all = DynamicQuantizer.Quantize(path, Path("a.pt"), new QuantizeOptions { Exclude = { "^gru$" } });
        Assert.Equal(["lstm", "lstm", "fc"], all.Layers.Select(l => l.Module));
    }
}
