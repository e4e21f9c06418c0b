using System.Text;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>Opcode-level analysis of single pickles (protocols 0–5), through <see cref="PtScanner.ScanBytes"/>.</summary>
public sealed class PickleScanTests
{
    private static ScanReport Scan(PickleBuilder p) => PtScanner.ScanBytes(p.ToArray(), "test.pkl");

    private static ScanGlobal Global(ScanReport r, string full) => Assert.Single(r.Globals, g => g.FullName == full);

    private static void AssertKinds(ScanReport r, params ScanFindingKind[] kinds)
    {
        foreach (var k in kinds) Assert.Contains(r.Findings, f => f.Kind == k);
    }

    [Fact]
    public void Global_and_reduce_of_os_system_is_dangerous_at_its_offset()
    {
        var p = PickleBuilder.Start(2);
        int at = p.Position;
        p.Global("os", "system").Str("touch x").Tuple1().Reduce().Stop();
        var r = Scan(p);
        Assert.Equal(ScanContainer.Pickle, r.Container);
        var f = Assert.Single(r.Findings, f => f.Kind == ScanFindingKind.DangerousGlobal);
        Assert.Equal("os.system", f.Global);
        Assert.Equal(at, f.Offset);
        Assert.Equal(ScanSeverity.Dangerous, f.Severity);
        Assert.True(r.IsDangerous);
        Assert.False(r.IsMalformed);
    }

    [Fact]
    public void Stack_global_is_resolved_through_the_memo()
    {
        var p = PickleBuilder.Start(4).ShortBinUnicode("posix").Memoize().ShortBinUnicode("system").Memoize().Pop().Pop()
            .BinGet(0).BinGet(1).StackGlobal().ShortBinUnicode("id").Tuple1().Reduce().Stop();
        var r = Scan(p);
        Assert.Equal(GlobalVerdict.Dangerous, Global(r, "posix.system").Verdict);
        Assert.DoesNotContain(r.Findings, f => f.Kind == ScanFindingKind.UnresolvableGlobal);
    }

    [Fact]
    public void Stack_global_through_text_put_get_and_long_binput()
    {
        var p = new PickleBuilder().UnicodeText("subprocess").Put(7).Pop().StringText("'Popen'").LongBinPut(100000).Pop()
            .Get(7).LongBinGet(100000).StackGlobal().Stop();
        Assert.Equal(GlobalVerdict.Dangerous, Global(Scan(p), "subprocess.Popen").Verdict);
    }

    [Fact]
    public void Stack_global_names_from_STRING_are_unescaped_as_the_unpickler_does()
    {
        // S'o\163' is 'os' to CPython (octal escape): the scanner must read it the way the unpickler imports it.
        var p = new PickleBuilder().StringText(@"'o\163'").StringText(@"'\x73ystem'").StackGlobal().Mark().StringText("'id'").Tuple().Reduce().Stop();
        var r = Scan(p);
        Assert.Equal(GlobalVerdict.Dangerous, Global(r, "os.system").Verdict);
        Assert.True(r.IsDangerous);
    }

    [Fact]
    public void Stack_global_on_a_computed_string_is_unresolvable_and_dangerous()
    {
        var p = PickleBuilder.Start(4).Global("builtins", "str").ShortBinUnicode("os").Tuple1().Reduce()
            .ShortBinUnicode("system").StackGlobal().Stop();
        var r = Scan(p);
        var f = Assert.Single(r.Findings, f => f.Kind == ScanFindingKind.UnresolvableGlobal);
        Assert.Equal(ScanSeverity.Dangerous, f.Severity);
        Assert.Equal(GlobalVerdict.Unknown, Global(r, "builtins.str").Verdict);
    }

    [Fact]
    public void Inst_and_obj_of_protocol_0_and_1_are_reported()
    {
        var inst = new PickleBuilder().Mark().StringText("'id'").Inst("os", "system").Stop();
        Assert.Equal(GlobalVerdict.Dangerous, Global(Scan(inst), "os.system").Verdict);
        var obj = new PickleBuilder().Mark().Global("subprocess", "Popen").EmptyList().Obj().Stop();
        Assert.Equal(GlobalVerdict.Dangerous, Global(Scan(obj), "subprocess.Popen").Verdict);
    }

    [Fact]
    public void Newobj_and_build_targets_are_reported()
    {
        var p = PickleBuilder.Start(2).Global("argparse", "Namespace").EmptyTuple().NewObj().EmptyDict().Build().Stop();
        var r = Scan(p);
        Assert.Equal(GlobalVerdict.Unknown, Global(r, "argparse.Namespace").Verdict);
        var f = Assert.Single(r.Findings);
        Assert.Equal(ScanFindingKind.UnknownGlobal, f.Kind);
        Assert.Equal(ScanSeverity.Warning, f.Severity);
        Assert.True(r.IsClean);
        Assert.False(r.IsClean && !r.HasWarnings);
    }

    [Fact]
    public void Calling_the_result_of_a_call_is_an_indirect_call()
    {
        var p = PickleBuilder.Start(2).Global("builtins", "getattr").Global("collections", "OrderedDict").Str("fromkeys").Tuple2().Reduce()
            .EmptyList().Tuple1().Reduce().Stop();
        var r = Scan(p);
        AssertKinds(r, ScanFindingKind.IndirectCall, ScanFindingKind.DangerousGlobal);
    }

    [Fact]
    public void Malformed_pickle_reports_every_global_reached_before_the_error()
    {
        var p = PickleBuilder.Start(2).Global("os", "system").Str("id").Tuple1().Reduce()
            .Global("builtins", "eval").Str("1").Tuple1().Reduce().Raw(0xFF, 0x00);
        var r = Scan(p);
        Assert.True(r.IsMalformed);
        AssertKinds(r, ScanFindingKind.MalformedPickle);
        Assert.Equal(GlobalVerdict.Dangerous, Global(r, "os.system").Verdict);
        Assert.Equal(GlobalVerdict.Dangerous, Global(r, "builtins.eval").Verdict);
    }

    [Fact]
    public void Truncated_pickle_without_stop_still_reports_its_globals()
    {
        var p = PickleBuilder.Start(2).Global("runpy", "run_path").Str("/tmp/x.py").Tuple1().Reduce();
        var r = Scan(p);
        Assert.True(r.IsMalformed);
        Assert.Equal(GlobalVerdict.Dangerous, Global(r, "runpy.run_path").Verdict);
    }

    [Fact]
    public void Semantic_errors_do_not_stop_the_scan()
    {
        // A stack underflow and a missing memo entry: CPython stops there, the scan reports and goes on (superset).
        var p = PickleBuilder.Start(2).Reduce().BinGet(9).Global("os", "system").Stop();
        var r = Scan(p);
        Assert.True(r.IsMalformed);
        Assert.Contains(r.Globals, g => g.FullName == "os.system");
    }

    [Fact]
    public void Crossing_a_frame_boundary_is_flagged_and_the_scan_goes_on()
    {
        var p = PickleBuilder.Start(4).Frame(3).Global("os", "system").ShortBinUnicode("id").Tuple1().Reduce().Stop();
        var r = Scan(p);
        AssertKinds(r, ScanFindingKind.FrameViolation, ScanFindingKind.DangerousGlobal);
        Assert.False(r.IsMalformed);
    }

    [Fact]
    public void Frame_longer_than_the_input_is_malformed()
    {
        var p = PickleBuilder.Start(4).Frame(1000).None().Stop();
        Assert.True(Scan(p).IsMalformed);
    }

    [Fact]
    public void Well_formed_frames_are_silent()
    {
        var body = new PickleBuilder().ShortBinUnicode("collections").ShortBinUnicode("OrderedDict").StackGlobal().EmptyTuple().Reduce();
        var p = PickleBuilder.Start(4).Framed(body).Stop();
        var r = Scan(p);
        Assert.Empty(r.Findings);
        Assert.Equal(GlobalVerdict.Safe, Global(r, "collections.OrderedDict").Verdict);
    }

    [Fact]
    public void Bytes_passed_to_pickle_loads_are_scanned_as_a_nested_pickle()
    {
        var inner = PickleBuilder.Start(2).Global("nt", "system").Str("x").Tuple1().Reduce().Stop().ToArray();
        var p = PickleBuilder.Start(3).Global("pickle", "loads").BinBytes(inner).Tuple1().Reduce().Stop();
        var r = Scan(p);
        AssertKinds(r, ScanFindingKind.NestedPickle);
        var nested = Assert.Single(r.Findings, f => f.Global == "nt.system");
        Assert.Contains(">pickle.loads@", nested.Record);
        Assert.Equal(2, r.PickleCount);
    }

    [Fact]
    public void Protocol_2_bytes_from_codecs_encode_are_followed_into_the_loader()
    {
        var inner = PickleBuilder.Start(2).Global("os", "popen").Str("x").Tuple1().Reduce().Stop().ToArray();
        var p = PickleBuilder.Start(2).Global("_pickle", "loads")
            .Global("_codecs", "encode").Str(Encoding.Latin1.GetString(inner)).Str("latin1").Tuple2().Reduce()
            .Tuple1().Reduce().Stop();
        Assert.Contains(Scan(p).Globals, g => g.FullName == "os.popen");
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_reported_not_followed()
    {
        byte[] payload = PickleBuilder.Start(2).Global("os", "system").Stop().ToArray();
        for (int i = 0; i < 12; i++) payload = PickleBuilder.Start(3).Global("pickle", "loads").BinBytes(payload).Tuple1().Reduce().Stop().ToArray();
        var r = PtScanner.ScanBytes(payload, "deep.pkl");
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.LimitReached);
        Assert.Equal(9, r.PickleCount); // the outer one plus MaxNestingDepth (8) levels
    }

    [Fact]
    public void Extension_codes_are_unresolvable()
    {
        var p = PickleBuilder.Start(2).Ext2(513).Stop();
        Assert.Contains(Scan(p).Findings, f => f.Kind == ScanFindingKind.UnresolvableGlobal && f.Severity == ScanSeverity.Dangerous);
    }

    [Fact]
    public void Every_protocol_of_a_benign_pickle_is_clean()
    {
        for (int proto = 0; proto <= 5; proto++)
        {
            var p = (proto >= 2 ? PickleBuilder.Start(proto) : new PickleBuilder())
                .Global("collections", "OrderedDict").EmptyTuple().Reduce().Str("k").BinInt1(1).SetItem().Stop();
            var r = Scan(p);
            Assert.False(r.IsMalformed, $"protocol {proto}");
            Assert.DoesNotContain(r.Findings, f => f.Severity > ScanSeverity.Info);
        }
    }

    [Fact]
    public void Python2_names_are_normalised()
    {
        var p = PickleBuilder.Start(2).Global("__builtin__", "set").EmptyList().Tuple1().Reduce().Global("copy_reg", "_reconstructor").Stop();
        var r = Scan(p);
        Assert.Equal(GlobalVerdict.Safe, Global(r, "builtins.set").Verdict);
        Assert.Equal(GlobalVerdict.Unknown, Global(r, "copyreg._reconstructor").Verdict);
    }

    [Fact]
    public void Counts_every_reference_and_reports_once_per_record()
    {
        var p = PickleBuilder.Start(2);
        for (int i = 0; i < 5; i++) p.Global("os", "system").Pop();
        var r = Scan(p.None().Stop());
        Assert.Equal(5, Global(r, "os.system").Count);
        Assert.Single(r.Findings, f => f.Kind == ScanFindingKind.DangerousGlobal);
    }

    [Fact]
    public void Allowed_globals_from_options_become_safe()
    {
        var options = new ScanOptions();
        options.AllowGlobals.Add("argparse.Namespace");
        var bytes = PickleBuilder.Start(2).Global("argparse", "Namespace").Stop().ToArray();
        var r = PtScanner.ScanBytes(bytes, "x", options);
        Assert.Empty(r.Findings);
        Assert.True(r.IsClean && !r.HasWarnings);
    }
}
