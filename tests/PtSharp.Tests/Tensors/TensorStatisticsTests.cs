using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Tests.Tensors;

/// <summary>
/// <see cref="TensorStatistics"/> against the stats real torch computes (math.fsum over the logical float64 values
/// after resolve_conj/resolve_neg; quantized over int_repr(); sparse over the values), on torch-made files embedded
/// below (see <c>samples/make_samples.py</c>).
/// </summary>
public sealed class TensorStatisticsTests
{
    private sealed record Expected(string Name, double Sum, double SumSq, double? Min, double? Max, long Nan, long Inf, double? SumImag = null);

    // samples/make_samples.py --test-cases (torch 1.13.0a0): stats_cases.pt.
    private static readonly Expected[] StatsCases =
    [
        new("f32_transposed", 2.9014770556241274, 27.70242284855189, -1.4012508392333984, 2.298342704772949, 1, 2),
        new("f32_rows", 3.7568617183715105, 7.418324664579295, -0.6618675589561462, 1.4058529138565063, 1, 0),
        new("f32_big", -23.952268519904464, 966.0893666356633, -3.0205957889556885, 3.788205146789551, 1, 1),
        new("f32_broadcast", 12.0, 20.0, 0.0, 2.0, 0, 0),
        new("f64_slice", 1.5, 5.25, -1.0, 2.0, 0, 0),
        new("f16", 65503.250000059605, 4290774023.3125, -2.25, 65504.0, 1, 1),
        new("bf16", 5.687744140625, 32.76283985376358, -1.953125, 1.8203125, 0, 0),
        new("bf16_t", -5.33544921875, 34.593480348587036, -1.9921875, 1.7109375, 0, 0),
        new("bool", 3.0, 3.0, 0.0, 1.0, 0, 0),
        new("int64", 1099511627789.0, 1.2089258196146292e+24, -3.0, 1099511627776.0, 0, 0),
        new("uint8", 272.0, 65314.0, 0.0, 255.0, 0, 0),
        new("qint8", 42.0, 2316.0, -17.0, 43.0, 0, 0),
        new("complex64", 0.17139887623488903, 0.9819966339321544, null, null, 1, 1, -1.6671993434429169),
        new("sparse", 3.75, 56.8125, -4.5, 5.25, 0, 0),
        new("empty", 0.0, 0.0, null, null, 0, 0),
        new("all_nan", 0.0, 0.0, null, null, 3, 0),
    ];

    // samples/make_samples.py --flag-cases (torch 2.6.0, which saves the conj/neg bits): flag_cases.pt.
    private static readonly Expected[] FlagCases =
    [
        new("conj", 0.1565733253955841, 4.132702034755929, null, null, 0, 0, 0.06993003189563751),
        new("neg", 2.56598412245512, 5.272983231839345, -0.844334602355957, 1.509978175163269, 0, 0),
        new("conj_neg", 0.35722798878232653, 4.091224726080476, null, null, 0, 0, -1.7210747038509657),
        new("real_neg", -0.16247359663248062, 3.595020693312251, -1.5011879205703735, 1.071309208869934, 0, 0),
        new("f8", -444.5, 200713.25, -448.0, 3.0, 0, 0),
    ];

    public static TheoryData<string> StatsCaseNames => new(StatsCases.Select(c => c.Name));
    public static TheoryData<string> FlagCaseNames => new(FlagCases.Select(c => c.Name));

    private static readonly Lazy<byte[]> StatsFile = new(() => Convert.FromBase64String(StatsCasesBase64));
    private static readonly Lazy<byte[]> FlagFile = new(() => Convert.FromBase64String(FlagCasesBase64));

    private static void AssertClose(double expected, double actual)
    {
        Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected) + 1e-300, $"expected {expected:R}, got {actual:R}");
    }

    private static void Check(Expected e, TensorStatistics s)
    {
        AssertClose(e.Sum, s.Sum);
        AssertClose(e.SumSq, s.SumSq);
        Assert.Equal(e.Min, s.Min);
        Assert.Equal(e.Max, s.Max);
        Assert.Equal(e.Nan, s.NanCount);
        Assert.Equal(e.Inf, s.InfCount);
        if (e.SumImag is double imag) AssertClose(imag, Assert.NotNull(s.SumImag));
        else Assert.Null(s.SumImag);
    }

    private static PtTensor Find(PtFile file, string name) => Assert.Single(file.Tensors, t => t.Name == name).Tensor;

    [Theory]
    [MemberData(nameof(StatsCaseNames))]
    public void Matches_torch(string name)
    {
        using var file = PtFile.Load(StatsFile.Value);
        Check(StatsCases.Single(c => c.Name == name), TensorStatistics.Compute(Find(file, name)));
    }

    [Theory]
    [MemberData(nameof(FlagCaseNames))]
    public void Applies_the_conj_and_neg_bits_like_torch(string name)
    {
        using var file = PtFile.Load(FlagFile.Value);
        var t = Find(file, name);
        Check(FlagCases.Single(c => c.Name == name), TensorStatistics.Compute(t));
    }

    [Fact]
    public void The_flag_file_really_has_lazy_bits_and_strided_views()
    {
        using var file = PtFile.Load(FlagFile.Value);
        Assert.True(Find(file, "conj").IsConj);
        var neg = Find(file, "neg");
        Assert.True(neg.IsNeg);
        Assert.Equal([2L], neg.Stride);      // .imag of a complex64 view
        Assert.Equal(1, neg.StorageOffset);
        Assert.True(Find(file, "conj_neg").IsConj);
        Assert.True(Find(file, "conj_neg").IsNeg);
    }

    [Fact]
    public void Meta_and_packed_tensors_have_no_statistics()
    {
        using var file = PtFile.Load(FlagFile.Value);
        Assert.Null(TensorStatistics.TryCompute(Find(file, "meta")));
        Assert.Null(TensorStatistics.TryCompute(Find(file, "quint4x2")));
        Assert.Throws<NotSupportedException>(() => TensorStatistics.Compute(Find(file, "meta")));
    }

    [Fact]
    public void Real_tensors_match_values_read_through_ToDoubleArray()
    {
        using var file = PtFile.Load(StatsFile.Value);
        foreach (var (name, t) in file.Tensors)
        {
            if (t.IsSparse || t.DType.IsComplex() || t.Quantization is not null) continue;
            var values = t.ToDoubleArray();
            var finite = values.Where(double.IsFinite).ToArray();
            var s = TensorStatistics.Compute(t);
            Assert.True(Math.Abs(finite.Sum() - s.Sum) <= 1e-12 * finite.Sum(Math.Abs) + 1e-300, name);
            Assert.True(Math.Abs(finite.Sum(v => v * v) - s.SumSq) <= 1e-12 * finite.Sum(v => v * v) + 1e-300, name);
            Assert.Equal(finite.Length == 0 ? null : finite.Min(), s.Min);
            Assert.Equal(finite.Length == 0 ? null : finite.Max(), s.Max);
            Assert.Equal(values.LongCount(double.IsNaN), s.NanCount);
            Assert.Equal(values.LongCount(double.IsInfinity), s.InfCount);
        }
    }

    [Fact]
    public void Long_contiguous_tensors_are_accurate_across_vector_blocks()
    {
        // f32_big has 1003 elements: several vector widths plus a scalar tail, with a NaN and an inf inside vectors.
        using var file = PtFile.Load(StatsFile.Value);
        var t = Find(file, "f32_big");
        Assert.True(t.IsContiguous);
        Check(StatsCases.Single(c => c.Name == "f32_big"), TensorStatistics.Compute(t));
    }

    // base64 of stats_cases.pt (9213 bytes), samples/make_samples.py --test-cases, torch 1.13.0a0.
    private const string StatsCasesBase64 = """
        UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAUAA4Ac3RhdHNfY2FzZXMvZGF0YS5wa2xGQgoAWlpaWlpaWlpaWoACY2NvbGxlY3Rpb25zCk9yZGVyZWRE
        aWN0CnEAKVJxAShYDgAAAGYzMl90cmFuc3Bvc2VkcQJjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3RlbnNvcl92MgpxAygoWAcAAABzdG9yYWdlcQRjdG9y
        Y2gKRmxvYXRTdG9yYWdlCnEFWAEAAAAwcQZYAwAAAGNwdXEHSx50cQhRSwBLBUsGhnEJSwFLBYZxColoAClScQt0cQxScQ1YCAAAAGYzMl9yb3dzcQ5o
        AygoaARoBWgGaAdLHnRxD1FLBksESwOGcRBLBUsBhnERiWgAKVJxEnRxE1JxFFgHAAAAZjMyX2JpZ3EVaAMoKGgEaAVYAQAAADFxFmgHTesDdHEXUUsA
        TesDhXEYSwGFcRmJaAApUnEadHEbUnEcWA0AAABmMzJfYnJvYWRjYXN0cR1oAygoaARoBVgBAAAAMnEeaAdLA3RxH1FLAEsESwOGcSBLAEsBhnEhiWgA
        KVJxInRxI1JxJFgJAAAAZjY0X3NsaWNlcSVoAygoaARjdG9yY2gKRG91YmxlU3RvcmFnZQpxJlgBAAAAM3EnaAdLC3RxKFFLAksDhXEpSwOFcSqJaAAp
        UnErdHEsUnEtWAMAAABmMTZxLmgDKChoBGN0b3JjaApIYWxmU3RvcmFnZQpxL1gBAAAANHEwaAdLBnRxMVFLAEsGhXEySwGFcTOJaAApUnE0dHE1UnE2
        WAQAAABiZjE2cTdoAygoaARjdG9yY2gKQkZsb2F0MTZTdG9yYWdlCnE4WAEAAAA1cTloB0sldHE6UUsASyWFcTtLAYVxPIloAClScT10cT5ScT9YBgAA
        AGJmMTZfdHFAaAMoKGgEaDhYAQAAADZxQWgHSyR0cUJRSwBLCUsEhnFDSwFLCYZxRIloAClScUV0cUZScUdYBAAAAGJvb2xxSGgDKChoBGN0b3JjaApC
        b29sU3RvcmFnZQpxSVgBAAAAN3FKaAdLBHRxS1FLAEsEhXFMSwGFcU2JaAApUnFOdHFPUnFQWAUAAABpbnQ2NHFRaAMoKGgEY3RvcmNoCkxvbmdTdG9y
        YWdlCnFSWAEAAAA4cVNoB0sEdHFUUUsASwJLAoZxVUsCSwGGcVaJaAApUnFXdHFYUnFZWAUAAAB1aW50OHFaaAMoKGgEY3RvcmNoCkJ5dGVTdG9yYWdl
        CnFbWAEAAAA5cVxoB0sDdHFdUUsASwOFcV5LAYVxX4loAClScWB0cWFScWJYBQAAAHFpbnQ4cWNjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3F0ZW5zb3IK
        cWQoKGgEY3RvcmNoClFJbnQ4U3RvcmFnZQpxZVgCAAAAMTBxZmgHSwR0cWdRSwBLBIVxaEsBhXFpY3RvcmNoCnBlcl90ZW5zb3JfYWZmaW5lCnFqRz+p
        mZmZmZmaSwOHcWuJaAApUnFsdHFtUnFuWAkAAABjb21wbGV4NjRxb2gDKChoBGN0b3JjaApDb21wbGV4RmxvYXRTdG9yYWdlCnFwWAIAAAAxMXFxaAdL
        B3RxclFLAEsHhXFzSwGFcXSJaAApUnF1dHF2UnF3WAYAAABzcGFyc2VxeGN0b3JjaC5fdXRpbHMKX3JlYnVpbGRfc3BhcnNlX3RlbnNvcgpxeWN0b3Jj
        aC5zZXJpYWxpemF0aW9uCl9nZXRfbGF5b3V0CnF6WBAAAAB0b3JjaC5zcGFyc2VfY29vcXuFcXxScX1oAygoaARoUlgCAAAAMTJxfmgHSwZ0cX9RSwBL
        AksDhnGASwNLAYZxgYloAClScYJ0cYNScYRoAygoaARoBVgCAAAAMTNxhWgHSwN0cYZRSwBLA4Vxh0sBhXGIiWgAKVJxiXRxilJxi2N0b3JjaApTaXpl
        CnGMSwJLA4ZxjYVxjlJxj4dxkIZxkVJxklgFAAAAZW1wdHlxk2gDKChoBGgFWAIAAAAxNHGUaAdLAHRxlVFLAEsCSwCGcZZLAUsBhnGXiWgAKVJxmHRx
        mVJxmlgHAAAAYWxsX25hbnGbaAMoKGgEaAVYAgAAADE1cZxoB0sDdHGdUUsASwOFcZ5LAYVxn4loAClScaB0caFScaJ1LlBLBwiHhp6vJAYAACQGAABQ
        SwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABIAHABzdGF0c19jYXNlcy9kYXRhLzBGQhgAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaVvRRvyuQyj7eHmY/
        OLexvwEBK74t/5E+kx4kvwAAwH/sMW0/VBcJv7dxlL+4meu+0WI1P/ihgT9qRrG/kOkAP9kQq73LVMC8dI8yPgwYE0AAAIB/J3Apv8IPsz/98rM/MFyz
        vxoPpj8aCtI/bUGHv7Luhb4AAID/UEsHCGn26XJ4AAAAeAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEgAIAHN0YXRzX2Nhc2VzL2RhdGEvMUZC
        BABaWlpaSwNRP/5eiL8geDa+Cd2EvtRebbxcjcS+utU9wETAh7909yE/PcG7vZrpzz/hbM06VgXgvjbyBsCbj5I/qq3DviDRtb8AAMB/BHAIPi/tOj7y
        vgO/ze5MP9cgn79L39u/ViOAvRkm5j6bw2K/5jeZPzBX7z7/ZBO+iN9Pv4btxb5yxws/kBMYPoF/EMA0AM8+onsSP7SZnT4R6wC+ODF1v+HrsL8mlna/
        zALMvtpSMb7zwkE/U3l8Px1JU7+LNCc+M/8QPg67C78ybQm/pzFUPxBOhz+bZo2/j4ACPjwum7yaIIg++0FDviFsxD4Pz/Q/23Sbv6a04j/DzwE/VF4h
        vsKHSD7vzMi/LfaPv0D+oL4LPyA/sfi5PUEBFr8fq/q+5ONuPyoner9741C/pAaUP1D3mr9S1AE/X7TcvmL+HD84wKw+3umjvjKjET84gQg+v1wPP0Ay
        PL9eXWW+3aNLv65nHL6rqwe/cg26P09Nxb8Ptam+KusMP3DNAT4c88G/HMxjvxqJZj8o4YU+9gEZvhSAkz97wJC/KJkFQGLcB7/DxG4/RvKEPfaFij1M
        hQy/y/HSvl/2XD3wNjk/97SKv5+/xL9sRXI9/KAuP2Bvg7/S4qG9PUYTPmOGsz9EWdW+ff/FPzYSGz+tZyy/D2Q2v1jnML+8sWw+e21Bv/JR9b2f7xq/
        MbYfv2XI8L69JFm/S4lRP8EGUz6KezM/hOIwv+zevT75026/vFOdPv5iQj8QRMQ/H4RGv3qqCcB+y6O/EuiRv/RxckDPELe+XNo+Pnorlb8JiGI/CWWk
        Pwk5Vr+PXq+/kq94P9KYKMD8T728+x49P06cKT8drUA/1GYTP+L31L4y05O/GTscP3nkZ7+Qd2G/LlVcv+SjLL9xUUHAJjyLv1WiCT+k7ZC/xMfqv+PG
        Br9W7JI/5/aPvpypML+aUAs//oZjv5ZC8T4v3CU/IXKqP74Vl76R/mq8PEkTv9IM0z7Cakq/fMSkv0+4Qr6yP6e90B5av1Zg1r494a4+VARRvJrhUj/B
        fze/XLBcP983375ytPe+Z7sgv5SJAECGiw1AdT17Pvg5ID/jDoa+ZzLTvvhixz0avkk/aT1Pv2P0Or4Ve90/uQ3QO5jTwL/X3R+/Me3nPoanTz8ZtDFA
        PZagPS03gj4s6rW/+ouFvyWYkr4Glkg/pzEnPg3vV7/4xDQ+OQC0Ps9JGL5TO7w/0TNNPjiPMb8snhk/lDpBv8XG9r5b2HS/CsGBv80edb9PybM+z8UN
        PELa0T4XH5g7YtWxvhxhHz4nbtq+HK1MP0/RA74Hbcs+7ZbcPgmrhL/tBjK+mRXpvd+w5D+6qvS9AyyNPwj7V7/FPDm+bbayvsiX1T5LYQBAm3YlP7eo
        Kr9Ng6U+kxjfPj7CZz9T0b8+c91Jv34Tbz5g/Sw/rx31vtuqU78Yx3W9JQYdPzX5cL7eGsy/VkEcv62CyL/j4Yc+JVHhvG5oDTxsISQ/hH8eP4t2jz9O
        fY89rDbZPVXVZz/d6be/Ge6vvm5LhT6EKxQ+tWk8P+fW0L76FqE+p3WCvxZ2pT5GTYu8QHGXPynhxj/0vSy/+x+vP6hxyT6r6tO+1mGXvwYvAL9yDxZA
        GUufv7NxEb+x0c0+D11pP0EO0L8Dlgo+Vw4iv8kbvL7vmcG/FEAJP9kxc7+d53y+qWxFvkiCZD7zSTW8f3SBv/IVmT/2d2U9Pgeov+qHmj7Z3Q0/71nW
        P/u5XD82nqO/dGVNvt0aE75FRZs/DpNBP569C77Pha2919eLv2CoxD8WMX0/6Nqlv1F5tT8YSAA/tVqSuxTIgD8eJt2/Eum+v2bbF7/o/Z4+V41hPx/l
        lz98jMk/jaQHvwVPjT7oYSs/ax/TP8qVxTwMu9S/R1uWv18EFT7KeqO/xnDrPX1fhj+FgGJAvSKSP7s9br+GQKq9PO3Ov01rmr+Miuk9dPaIP4vx379N
        tji/XrAVvlbXvL3EWzQ9c8KtP8UIoD/Hd9c+1qN2P3yTxb4AwaS+xkWfvuZbuj7quH6+gFGGvp+8Cj9Cnma+27CSPnEKFb+la6Y9jbT4vmxiCECTacs+
        F0LPv28UZD9Syac+z/o7PkOprL/p160//dSOP4dzjj+C8IC/BBgGvot22D50Yts+yn/SvsZywL++9CU/4jmIPwVUhD+u5L8/+SGTv6n8Eb4m3jA//oY8
        v2WrJT8P36S8L0HfP7SDcL4wk6u/4iqCP8RTqD6QmDC/dNYkv/6CGL5gy94/eoGBvzxECMDqA2s/H4k3Ph+aa7+10gc/PFO5v8WnHb7wl7S/sIH4PhKO
        O75vPtS/8BCdP9vN5L+3qi0+qQKJv/BHQ79ngOm+sGBrv20tPj9V8JA+77AxP2r16r1Q47g9QG3MPdmPHL5G37q/qE2DvxyVE75VDQc/i+K1Prh3Lj8x
        N7c+4m5svu/8xT/wE/u/VdvcvvqPQb6zPZW/BAMFPiUAgD4hfdO+YzpZvTYlwz6ZX8o+cGvFvzaDzr+/JBG/BxDjvd3/BkCVlMg+BXniP90KB7/5BsC/
        6NgrP7CM+z34bNK+QwGWPv0VPD4NJAbAwVjdP5ZdSz9qDPG/SMyqPZ3x8T5toZ2/VGiHv2Delb/7BVw/ivJyv/oa2758lX4/Nqg7Ph8iOj93G/u/tJna
        vtXOZr0AAIB/8EDCP/FZKj4sG+O+5P4Uvrgp2D8oX80/DcBOv4PtCECke9y/CpzTP/Aygb8kPQE/t5QavwPUDL+C4sa/5xoMvpeiD7+Pj4A9rtaUPmdi
        LT5BzrI8VX+LP/l3uL8YXvW+60RGP2O8zz8rdHy/EGMnvWvGor8PxMa/V05gP2f1Dj9lwZK/+6JKPgd4mr9s18A+Hr+Gv9g6W71CZ6M/WDcBPrxHhj+f
        IyS/7B6HP7dWDL9e4oK+/ciRPjVzhb+Keq88+OcfP/c6L8C9QxC/j4JKP+uGGL+q8+0+HL/BPkm0dT9emK+/eqF/P6RZGL5pl8C+oYm3vu7AGb57lEo/
        9TjGP4YehzyD5l5AafpzP5SS3z+vLt0+oQY1vyiy9z8Xm+08Cg+NP8cFcj9ZMgrAzKyvP8CZqj0Unoa/oReGPr+2Cr+BFiA/rb/bvnfM+D4napY+Qp/L
        vg2t4z6VNTHAN0rUPjZ48r00NcM/IgySvil1ML/e5pw+mo/EP6w8Fr98QAk/2R2JP4dl479IHu8+0ETSvYylVL8UgrQ/Vm2+v8OxZT12Z2I+X8r7vQZN
        FT6nFRA+E9Hcv6k6gj9T/M6+qcsLQIlW8b04z9q+femePiWmRz9xIea+4eJEvVcq5D4fKTo9Ox3CvXnxpD8vNgg/nBOBPuVojj/AHSE/cAWIPw7xpL8F
        05m/pI+pvjiSAb+GTcO/c3aJv3Ll3L5DUiC/qnNKPh5Lnr6koX4/ngDvPq/zqD4eTKC+yBuTPvZ2xL4Onre/Wosdvw7EAcAdKt+/bAevv6xgmr+jovG+
        G5HMPtXhQb/GT/y/bsnKvx8C+D5t/X6+VBEWvtmsmT3Yjd6+rSz3P6lkRj9kf/Q9VwS6vgBIMb9t4Qm/ZK8vP4OElz/n19O/kanPPp9X2b6EkR29MDsv
        P5W/C8Du+hw/2pEYvz9//r9QZGM/kdSSv4zSFL9KbcS+t8nrv5eGJzsUZhhAdUJ7v5SSmb8h6rw/hB6ivxL5TT9UuHy/NO6zvV+NCMBh4SY/RrCTP/dG
        xz0RY2I/4+6mv6cMRb+vF9c+AjrkvzDA1T48lyG/IypZvwTYi7+o/+8+90KCPEOVDD+OmZs+sUviP7REQr/Ko+S/YQokPSFPqT8kf4A9z/nUvXnZFz2Q
        3/s9Ck8ywHgjDL+STFc/7L67vhDgqT0R0qW/xrjvPg9JJj7laqe/dkfOu2dNvD+gcBo/nFI3vvu8Oz/o/Ru/umpuP6j9iT8PJOY+ATQuwE5N9r2Ak+S/
        ebpjvc6yDL/VnBs/Tftvv0GsUT/6Js2+HhsLPjxpG78kpJa/CR6hvj67Nr+LSAg/0YzevnFGNL8noXG+8Y4vP2vBCD+Q47I/Ah4FvfTLCr9eyGi+ZJkJ
        v/fEAT9K8uI/C86gP+/bm785f1++7bd7v7D3E76qclO/hIeJvyRcHD7FANm+12Hrv/qeYD8PIXo+ITLoP64J1b1beyg/KMjOvRMDfz9cKCU+VsEcv2Nu
        pz90rFq9/P/iP+/jOL9ybAFAU1/3v4e0zL4K95E/MiBEPzRAA77CB5m9aHpOvqlh+D4/Pc8+y73Mvt2Ylb/oZHm/NB72PqmLbr+du66/q1c2P2F36b7H
        4XQ+LGkIQHngAT7mKm2/PGgpP+WyuLs1a2C/OgNaPuThtD9SK64/SlnFPuekID/fYtK/FtsqvwzlkL6j+QjAoGBWP7hLVD4TH18/MClqvyoIVT/u1Im/
        JtCbv01Gkb6Aj5E/wOBMP90JYT7GNr+/VCQOPhF/lz6/MMW+LFZUv4j6zL/+NVi9kMlyv4R5Jb91+8E/Q8AiP2mPKUBTQ02/OGltvrNPQj9XiIC+MNXN
        Pv/XNj62FA/A4GBFvhfpIz4mm7w/yQgUPkDny74gJtO/4xTFP6uzrj/dssk+veG7Py6Zbr8g5YE/bBJcv/Fq+L+58au/EpJJvjDllr/6ci8/VxfmPlCZ
        Wz9rgUk+b/esvUm8wT9nzZO/LnuZP4eIQj5oITi/wVOyvafatLrPaZ8+ohMvP/hY1T96tCI/9PAJPjcis774ijE/MeAFv6Zk4z42b5g/TOZTv29Jxj9P
        jAbAHxivP+IL5D/2wx0/LP+1vCrfDb/TnWC/uhASP1jckT8f1pk/HZW8v1u9xz4q7uk/UwKPviNmAEA9Ny/AL2wXvtsthr92NXS+6c87P+sU2b42/oO/
        eYULQJh/+D7Si+M/TiSFP1ie2j+Azom/8vzmvoULSr93wqi+oblLPwc0L774ViO/W4dyv4QNYL9KHjE/bSexPz5bgz9sfwG/xQ6kP4cNSz/eUH8/zENL
        Px7dub9aTbo/GImZvpVprD5q6VE/MUG3PyNW6b1cYBFAm/emvo+lPMDdbkK/H4nfP+5JDz/OH2s98XIcvgxqsL7WAFa/3Mk/PwdV/z6VMmC+74BavsXy
        rL+n+80/dxhuPmjNgb5+16i91CDBPgNL+L4Bm78+KEN0PcCwiD8DpEw/EpCAPmDvKz/3Ri0+WklZv3WD3T18vcI/Kw/Wu4/srz3qACA+8cQaP28kBr/u
        Bj6/W+RZPygf5j29yKs/OiPkP9/WKD/QA4G+kQyyvoAM/7/80qW+q5wiwGOg3b7EB+E+mtkiPrQcu7736jg/MJyYv9eFHj+rrK2/S0h0v00OEL/HaEA/
        fgaMPuqP2by73tY+vJNfPlBLBwh/VbT6rA8AAKwPAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABMAEwBzdGF0c19jYXNlcy9kYXRhLzEwRkIPAFpa
        WlpaWlpaWlpaWlpaWu8DDStQSwcIJrcMtAQAAAAEAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAATADsAc3RhdHNfY2FzZXMvZGF0YS8xMUZCNwBa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaAKthvjK+CL8Gdpk+UNDcvgIwTrxX0ou+AADAfwAAgD/x
        sYO++DuPvgAAAEAAAIB/g0S5PkiAGL5QSwcIuCdN/jgAAAA4AAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAATAAcAc3RhdHNfY2FzZXMvZGF0YS8x
        MkZCAwBaWloAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAgAAAAAAAABQSwcICu8INzAAAAAwAAAAUEsDBAAACAgAAAAAAAAA
        AAAAAAAAAAAAAAATAA8Ac3RhdHNfY2FzZXMvZGF0YS8xM0ZCCwBaWlpaWlpaWlpaWgAAQEAAAJDAAACoQFBLBwghS4zfDAAAAAwAAABQSwMEAAAACAAA
        AAAAAAAAAAAAAAAAAAAAABMAMwBzdGF0c19jYXNlcy9kYXRhLzE0RkIvAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAATAA8Ac3RhdHNfY2FzZXMvZGF0YS8xNUZCCwBaWlpaWlpaWlpaWgAAwH8AAMB/AADAf1BLBwiDFlpN
        DAAAAAwAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABIANABzdGF0c19jYXNlcy9kYXRhLzJGQjAAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaAAAAAAAAgD8AAABAUEsHCHC8yDAMAAAADAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEgA0AHN0YXRzX2Nh
        c2VzL2RhdGEvM0ZCMABaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloAAAAAAAAAwAAAAAAAAPi/AAAAAAAA8L8A
        AAAAAADgvwAAAAAAAAAAAAAAAAAA4D8AAAAAAADwPwAAAAAAAPg/AAAAAAAAAEAAAAAAAAAEQAAAAAAAAAhAUEsHCImzCIRYAAAAWAAAAFBLAwQAAAgI
        AAAAAAAAAAAAAAAAAAAAAAAAEgAoAHN0YXRzX2Nhc2VzL2RhdGEvNEZCJABaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloAPoDA/3sA
        fAEAAH5QSwcImxgMpAwAAAAMAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAASADQAc3RhdHNfY2FzZXMvZGF0YS81RkIwAFpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWq4+Yz6xPV+98T36v54/ED+WvyI+jD8sP5U+vj+mv6M/Fz8sPxY/cr9wP1G/pL+FPs++Xz5R
        Pxo/l7+cP5E/lb8Tvme/pD8rv+k/UEsHCG6rMyZKAAAASgAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEgA2AHN0YXRzX2Nhc2VzL2RhdGEvNkZC
        MgBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWpS/WL+9PiQ/p7+EP06/Uz+Dvrg/tL8Wv5m/yr60v98+9L6P
        v4s+CL//v6q+wD+pPng/2z9BvnY/mr3evxy/lb1gvhy/1T8tvlBLBwhmzmJlSAAAAEgAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABIAOABzdGF0
        c19jYXNlcy9kYXRhLzdGQjQAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWgEAAQFQSwcIrrnk9wQAAAAE
        AAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAASADwAc3RhdHNfY2FzZXMvZGF0YS84RkI4AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa/f////////8JAAAAAAAAAAAAAAAAAQAABwAAAAAAAABQSwcIvPXWICAAAAAgAAAAUEsDBAAACAgAAAAAAAAA
        AAAAAAAAAAAAAAASACAAc3RhdHNfY2FzZXMvZGF0YS85RkIcAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloA/xFQSwcIkgTVBgMAAAADAAAAUEsD
        BAAACAgAAAAAAAAAAAAAAAAAAAAAAAATADwAc3RhdHNfY2FzZXMvdmVyc2lvbkZCOABaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWjMKUEsHCNGeZ1UCAAAAAgAAAFBLAQIAAAAACAgAAAAAAACHhp6vJAYAACQGAAAUAAAAAAAAAAAAAAAAAAAAAABzdGF0
        c19jYXNlcy9kYXRhLnBrbFBLAQIAAAAACAgAAAAAAABp9ulyeAAAAHgAAAASAAAAAAAAAAAAAAAAAHQGAABzdGF0c19jYXNlcy9kYXRhLzBQSwECAAAA
        AAgIAAAAAAAAf1W0+qwPAACsDwAAEgAAAAAAAAAAAAAAAABIBwAAc3RhdHNfY2FzZXMvZGF0YS8xUEsBAgAAAAAICAAAAAAAACa3DLQEAAAABAAAABMA
        AAAAAAAAAAAAAAAAPBcAAHN0YXRzX2Nhc2VzL2RhdGEvMTBQSwECAAAAAAgIAAAAAAAAuCdN/jgAAAA4AAAAEwAAAAAAAAAAAAAAAACUFwAAc3RhdHNf
        Y2FzZXMvZGF0YS8xMVBLAQIAAAAACAgAAAAAAAAK7wg3MAAAADAAAAATAAAAAAAAAAAAAAAAAEgYAABzdGF0c19jYXNlcy9kYXRhLzEyUEsBAgAAAAAI
        CAAAAAAAACFLjN8MAAAADAAAABMAAAAAAAAAAAAAAAAAwBgAAHN0YXRzX2Nhc2VzL2RhdGEvMTNQSwECAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAEwAA
        AAAAAAAAAAAAAAAcGQAAc3RhdHNfY2FzZXMvZGF0YS8xNFBLAQIAAAAACAgAAAAAAACDFlpNDAAAAAwAAAATAAAAAAAAAAAAAAAAAIAZAABzdGF0c19j
        YXNlcy9kYXRhLzE1UEsBAgAAAAAICAAAAAAAAHC8yDAMAAAADAAAABIAAAAAAAAAAAAAAAAA3BkAAHN0YXRzX2Nhc2VzL2RhdGEvMlBLAQIAAAAACAgA
        AAAAAACJswiEWAAAAFgAAAASAAAAAAAAAAAAAAAAAFwaAABzdGF0c19jYXNlcy9kYXRhLzNQSwECAAAAAAgIAAAAAAAAmxgMpAwAAAAMAAAAEgAAAAAA
        AAAAAAAAAAAoGwAAc3RhdHNfY2FzZXMvZGF0YS80UEsBAgAAAAAICAAAAAAAAG6rMyZKAAAASgAAABIAAAAAAAAAAAAAAAAAnBsAAHN0YXRzX2Nhc2Vz
        L2RhdGEvNVBLAQIAAAAACAgAAAAAAABmzmJlSAAAAEgAAAASAAAAAAAAAAAAAAAAAFocAABzdGF0c19jYXNlcy9kYXRhLzZQSwECAAAAAAgIAAAAAAAA
        rrnk9wQAAAAEAAAAEgAAAAAAAAAAAAAAAAAYHQAAc3RhdHNfY2FzZXMvZGF0YS83UEsBAgAAAAAICAAAAAAAALz11iAgAAAAIAAAABIAAAAAAAAAAAAA
        AAAAlB0AAHN0YXRzX2Nhc2VzL2RhdGEvOFBLAQIAAAAACAgAAAAAAACSBNUGAwAAAAMAAAASAAAAAAAAAAAAAAAAADAeAABzdGF0c19jYXNlcy9kYXRh
        LzlQSwECAAAAAAgIAAAAAAAA0Z5nVQIAAAACAAAAEwAAAAAAAAAAAAAAAACTHgAAc3RhdHNfY2FzZXMvdmVyc2lvblBLBgYsAAAAAAAAAB4DLQAAAAAA
        AAAAABIAAAAAAAAAEgAAAAAAAACJBAAAAAAAABIfAAAAAAAAUEsGBwAAAACbIwAAAAAAAAEAAABQSwUGAAAAABIAEgCJBAAAEh8AAAAA
        """;

    // base64 of flag_cases.pt (2918 bytes), samples/make_samples.py --flag-cases, torch 2.6.0.
    private const string FlagCasesBase64 = """
        UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAATAA8AZmxhZ19jYXNlcy9kYXRhLnBrbEZCCwBaWlpaWlpaWlpaWoACY2NvbGxlY3Rpb25zCk9yZGVyZWRE
        aWN0CnEAKVJxAShYBAAAAGNvbmpxAmN0b3JjaC5fdXRpbHMKX3JlYnVpbGRfdGVuc29yX3YyCnEDKChYBwAAAHN0b3JhZ2VxBGN0b3JjaApDb21wbGV4
        RmxvYXRTdG9yYWdlCnEFWAEAAAAwcQZYAwAAAGNwdXEHSwV0cQhRSwBLBYVxCUsBhXEKiWgAKVJxC31xDFgEAAAAY29uanENiHN0cQ5ScQ9YAwAAAG5l
        Z3EQaAMoKGgEY3RvcmNoCkZsb2F0U3RvcmFnZQpxEVgBAAAAMXESaAdLCnRxE1FLAUsFhXEUSwKFcRWJaAApUnEWfXEXWAMAAABuZWdxGIhzdHEZUnEa
        WAgAAABjb25qX25lZ3EbaAMoKGgEY3RvcmNoCkNvbXBsZXhEb3VibGVTdG9yYWdlCnEcWAEAAAAycR1oB0sEdHEeUUsASwSFcR9LAYVxIIloAClScSF9
        cSIoWAMAAABuZWdxI4hYBAAAAGNvbmpxJIh1dHElUnEmWAgAAAByZWFsX25lZ3EnaAMoKGgEaBFYAQAAADNxKGgHSwZ0cSlRSwBLBoVxKksBhXEriWgA
        KVJxLH1xLVgDAAAAbmVncS6Ic3RxL1JxMFgEAAAAbWV0YXExY3RvcmNoLl91dGlscwpfcmVidWlsZF9tZXRhX3RlbnNvcl9ub19zdG9yYWdlCnEyKGN0
        b3JjaApmbG9hdDMyCnEzSwNLBIZxNEsESwGGcTWJdHE2UnE3WAIAAABmOHE4Y3RvcmNoLl91dGlscwpfcmVidWlsZF90ZW5zb3JfdjMKcTkoKGgEY3Rv
        cmNoLnN0b3JhZ2UKVW50eXBlZFN0b3JhZ2UKcTpYAQAAADRxO2gHSwN0cTxRSwBLA4VxPUsBhXE+iWgAKVJxP2N0b3JjaApmbG9hdDhfZTRtM2ZuCnFA
        dHFBUnFCWAgAAABxdWludDR4MnFDY3RvcmNoLl91dGlscwpfcmVidWlsZF9xdGVuc29yCnFEKChoBGN0b3JjaApRVUludDR4MlN0b3JhZ2UKcUVYAQAA
        ADVxRmgHSwJ0cUdRSwBLBIVxSEsBhXFJY3RvcmNoCnBlcl90ZW5zb3JfYWZmaW5lCnFKRz/wAAAAAAAASwCHcUuJaAApUnFMdHFNUnFOdS5QSwcIILen
        c3YDAAB2AwAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAUAAgAZmxhZ19jYXNlcy9ieXRlb3JkZXJGQgQAWlpaWmxpdHRsZVBLBwiFPeMZBgAAAAYA
        AABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABEAOwBmbGFnX2Nhc2VzL2RhdGEvMEZCNwBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpac4YFPxogsD/YQv2+s71rvx7Sub61OUO+ukEyPh4zrz6UEaM+kjQtv1BLBwgTPzVZKAAAACgAAABQSwMEAAAICAAA
        AAAAAAAAAAAAAAAAAAAAABEAGQBmbGFnX2Nhc2VzL2RhdGEvMUZCFQBaWlpaWlpaWlpaWlpaWlpaWlpaWlrXzoo+q7myvfqgIT+lDrG+KPiCv1AmWD+l
        wsU+GM+7v6BtL7/3RsG/UEsHCPu1bmQoAAAAKAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEQAZAGZsYWdfY2FzZXMvZGF0YS8yRkIVAFpaWlpa
        WlpaWlpaWlpaWlpaWlpaWtU48p09mue/0QuO+f1Q878CuMzKSHHvP38BFl8NSL8/TMlsWBBB5r8rsX00cr/ovyEdiTve3Lc/lH9a54SVwT9QSwcIHNhf
        KkAAAABAAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAARAEEAZmxhZ19jYXNlcy9kYXRhLzNGQj0AWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWu0mwD+6jKC+P+hvvqkgib/swCg+Q9zsPVBLBwgXIPXkGAAAABgAAABQSwMEAAAICAAAAAAA
        AAAAAAAAAAAAAAAAABEAKQBmbGFnX2Nhc2VzL2RhdGEvNEZCJQBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaMP5EUEsHCDh1pCAD
        AAAAAwAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEQA+AGZsYWdfY2FzZXMvZGF0YS81RkI6AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloQMlBLBwguUczDAgAAAAIAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABIAPgBmbGFnX2Nhc2Vz
        L3ZlcnNpb25GQjoAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWjMKUEsHCNGeZ1UCAAAAAgAA
        AFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAIQAvAGZsYWdfY2FzZXMvLmRhdGEvc2VyaWFsaXphdGlvbl9pZEZCKwBaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaMDUzNDMyNzgyNDk0OTc5NjU3NDcxNDk5NzU4NDM5MTg4OTMzMzU3NFBLBwjNjbf+KAAAACgAAABQSwECAAAA
        AAgIAAAAAAAAILenc3YDAAB2AwAAEwAAAAAAAAAAAAAAAAAAAAAAZmxhZ19jYXNlcy9kYXRhLnBrbFBLAQIAAAAACAgAAAAAAACFPeMZBgAAAAYAAAAU
        AAAAAAAAAAAAAAAAAMYDAABmbGFnX2Nhc2VzL2J5dGVvcmRlclBLAQIAAAAACAgAAAAAAAATPzVZKAAAACgAAAARAAAAAAAAAAAAAAAAABYEAABmbGFn
        X2Nhc2VzL2RhdGEvMFBLAQIAAAAACAgAAAAAAAD7tW5kKAAAACgAAAARAAAAAAAAAAAAAAAAALgEAABmbGFnX2Nhc2VzL2RhdGEvMVBLAQIAAAAACAgA
        AAAAAAAc2F8qQAAAAEAAAAARAAAAAAAAAAAAAAAAADgFAABmbGFnX2Nhc2VzL2RhdGEvMlBLAQIAAAAACAgAAAAAAAAXIPXkGAAAABgAAAARAAAAAAAA
        AAAAAAAAANAFAABmbGFnX2Nhc2VzL2RhdGEvM1BLAQIAAAAACAgAAAAAAAA4daQgAwAAAAMAAAARAAAAAAAAAAAAAAAAAGgGAABmbGFnX2Nhc2VzL2Rh
        dGEvNFBLAQIAAAAACAgAAAAAAAAuUczDAgAAAAIAAAARAAAAAAAAAAAAAAAAANMGAABmbGFnX2Nhc2VzL2RhdGEvNVBLAQIAAAAACAgAAAAAAADRnmdV
        AgAAAAIAAAASAAAAAAAAAAAAAAAAAFIHAABmbGFnX2Nhc2VzL3ZlcnNpb25QSwECAAAAAAgIAAAAAAAAzY23/igAAAAoAAAAIQAAAAAAAAAAAAAAAADS
        BwAAZmxhZ19jYXNlcy8uZGF0YS9zZXJpYWxpemF0aW9uX2lkUEsGBiwAAAAAAAAAHgMtAAAAAAAAAAAACgAAAAAAAAAKAAAAAAAAAIwCAAAAAAAAeAgA
        AAAAAABQSwYHAAAAAAQLAAAAAAAAAQAAAFBLBQYAAAAACgAKAIwCAAB4CAAAAAA=
        """;
}
