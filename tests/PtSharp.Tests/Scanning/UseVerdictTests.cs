using System.Text.Json;
using PtSharp.Scanning;
using PtSharp.Tests.Support;

namespace PtSharp.Tests.Scanning;

/// <summary>
/// Verdicts by what a pickle does with a global: calling anything not known to be inert is dangerous (including
/// functions invented for this test, so the rule cannot depend on names), rebuilding a plain object is a warning,
/// and real benign objects pickled by CPython (Enum members, paths, namespaces, datetimes) are never dangerous.
/// </summary>
public sealed class UseVerdictTests
{
    private static ScanReport Scan(PickleBuilder p) => PtScanner.ScanBytes(p.ToArray(), "test.pkl");

    private static string Dump(ScanReport r) => string.Join("; ", r.Findings.Select(f => $"{f.Severity} {f.Kind} {f.Message}"));

    [Theory]
    [InlineData("somepkg.helpers", "run_it")]
    [InlineData("acme_internal.ops", "apply_patch")]
    [InlineData("zz_unheard_of", "Thing")]
    public void Calling_an_invented_function_with_arguments_is_dangerous(string module, string name)
    {
        var r = Scan(PickleBuilder.Start(2).Global(module, name).Str("touch /tmp/x").Tuple1().Reduce().Stop());
        Assert.True(r.IsDangerous, Dump(r));
        var g = Assert.Single(r.Globals, g => g.FullName == module + "." + name);
        Assert.Equal(GlobalVerdict.Dangerous, g.Verdict);
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.DangerousGlobal && f.Global == g.FullName && f.Message.Contains("calls"));
    }

    [Fact]
    public void Invented_callables_are_dangerous_through_inst_obj_newobj_with_arguments_and_copyreg()
    {
        var inst = new PickleBuilder().Mark().StringText("'x'").Ascii("isomepkg.helpers\nrun_it\n").Stop();
        var obj = PickleBuilder.Start(1).Mark().Global("somepkg.helpers", "Runner").Str("x").Obj().Stop();
        var newobj = PickleBuilder.Start(2).Global("somepkg.helpers", "Runner").Str("x").Tuple1().NewObj().Stop();
        var newobjEx = PickleBuilder.Start(4).Global("somepkg.helpers", "Runner").Str("x").Tuple1().EmptyDict().Op(0x92).Stop();
        var copyregNew = PickleBuilder.Start(2).Global("copyreg", "__newobj__").Global("somepkg.helpers", "Runner").Str("x").Tuple2().Reduce().Stop();
        var reconstructorBase = PickleBuilder.Start(2).Global("copyreg", "_reconstructor").Global("somepkg.helpers", "Plain")
            .Global("somepkg.helpers", "Base").Str("x").Tuple3().Reduce().Stop();
        foreach (var (label, p) in new[] { ("INST", inst), ("OBJ", obj), ("NEWOBJ", newobj), ("NEWOBJ_EX", newobjEx), ("__newobj__", copyregNew), ("_reconstructor base", reconstructorBase) })
            Assert.True(Scan(p).IsDangerous, label + ": " + Dump(Scan(p)));
    }

    [Fact]
    public void A_plain_rebuild_then_a_state_dict_is_a_warning_not_a_payload()
    {
        foreach (var p in new[]
                 {
                     PickleBuilder.Start(2).Global("somepkg.models", "Net").EmptyTuple().NewObj().EmptyDict().Str("w").BinInt1(1).SetItem().Build().Stop(),
                     new PickleBuilder().Global("copy_reg", "_reconstructor").Mark().Global("somepkg.models", "Net").Global("__builtin__", "object").None().Tuple()
                         .Reduce().Mark().UnicodeText("w").IntText("1").Dict().Build().Stop(),
                     PickleBuilder.Start(1).Mark().Global("somepkg.models", "Net").Obj().EmptyDict().Build().Stop(),
                 })
        {
            var r = Scan(p);
            Assert.False(r.IsDangerous, Dump(r));
            Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.UnknownGlobal && f.Global == "somepkg.models.Net");
            Assert.DoesNotContain(r.Findings, f => f.Global is "copyreg._reconstructor" or "builtins.object");
        }
    }

    [Fact]
    public void Build_with_a_state_that_is_not_a_dict_reaches_an_unvouched_setstate()
    {
        var p = PickleBuilder.Start(2).Global("somepkg.models", "Net").EmptyTuple().NewObj().Str("rm -rf").Tuple1().Build().Stop();
        var r = Scan(p);
        Assert.True(r.IsDangerous, Dump(r));
        Assert.Contains(r.Findings, f => f.Message.Contains("__setstate__"));
    }

    [Fact]
    public void Build_on_a_module_or_class_itself_is_dangerous()
    {
        var p = PickleBuilder.Start(2).Global("email", "utils").EmptyDict().Str("parseaddr").None().SetItem().Build().Stop();
        var r = Scan(p);
        Assert.True(r.IsDangerous, Dump(r));
    }

    [Fact]
    public void Getattr_of_a_constant_attribute_of_a_class_is_an_enum_member_but_calling_it_is_not()
    {
        var member = PickleBuilder.Start(4).Global("builtins", "getattr").Global("mypkg.config", "Color").Str("RED").Tuple2().Reduce().Stop();
        var r = Scan(member);
        Assert.False(r.IsDangerous, Dump(r));
        Assert.Contains(r.Findings, f => f.Kind == ScanFindingKind.UnknownGlobal && f.Global == "mypkg.config.Color");
        var dunder = PickleBuilder.Start(4).Global("builtins", "getattr").Global("mypkg.config", "Color").Str("__init__").Tuple2().Reduce().Stop();
        Assert.True(Scan(dunder).IsDangerous);
        var called = PickleBuilder.Start(4).Global("builtins", "getattr").Global("mypkg.config", "Color").Str("RED").Tuple2().Reduce()
            .EmptyTuple().Reduce().Stop();
        Assert.True(Scan(called).IsDangerous);
    }

    [Fact]
    public void Python2_names_map_through_the_whole_compat_pickle_table_below_protocol_3_only()
    {
        var p2 = Scan(PickleBuilder.Start(2).Global("dumbdbm", "open").Str("/tmp/x").Tuple1().Reduce().Stop());
        Assert.Contains(p2.Globals, g => g.FullName == "dbm.dumb.open" && g.Verdict == GlobalVerdict.Dangerous);
        var reduce = Scan(PickleBuilder.Start(2).Global("__builtin__", "reduce").EmptyTuple().Reduce().Stop());
        Assert.Contains(reduce.Globals, g => g.FullName == "functools.reduce");
        var p3 = Scan(PickleBuilder.Start(3).Global("cStringIO", "StringIO").EmptyTuple().Reduce().Stop());
        Assert.Contains(p3.Globals, g => g.FullName == "cStringIO.StringIO");
        var p0 = Scan(new PickleBuilder().Global("cStringIO", "StringIO").Mark().Tuple().Reduce().Stop());
        Assert.Contains(p0.Globals, g => g.FullName == "io.StringIO");
    }

    [Fact]
    public void Torch_layer_classes_and_layout_constants_are_vouched_for_in_strict_mode()
    {
        var p = PickleBuilder.Start(2).Global("torch.nn.modules.linear", "Linear").EmptyTuple().NewObj().EmptyDict().Build()
            .Global("torch", "contiguous_format").Tuple2().Stop();
        var r = Scan(p);
        Assert.True(r.IsClean && !r.HasWarnings, Dump(r));
    }

    private const string BenignScript = """
import argparse, collections, datetime, enum, json, os, pathlib, pickle, sys, types
class Color(enum.Enum):
    RED = 1
Color.__module__ = "mypkg.config"
sys.modules["mypkg"] = types.ModuleType("mypkg")
sys.modules["mypkg.config"] = sys.modules["mypkg"].config = types.ModuleType("mypkg.config")
sys.modules["mypkg.config"].Color = Color
values = {
    "path": pathlib.PosixPath("/data/run1/ckpt"), "pure": pathlib.PurePosixPath("a/b"), "color": Color.RED,
    "args": argparse.Namespace(lr=0.1, name="x"), "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "delta": datetime.timedelta(days=1), "od": collections.OrderedDict(a=1), "dd": collections.defaultdict(list, a=[1]),
    "fs": frozenset([1, 2]), "sl": slice(1, 5, 2), "cx": complex(1, 2), "dq": collections.deque([1, 2], maxlen=4),
    "ba": bytearray(b"xy"), "st": {1, 2},
}
out = {}
for proto in range(6):
    path = os.path.join(sys.argv[1], f"benign_p{proto}.pkl")
    with open(path, "wb") as f:
        pickle.dump(values, f, protocol=proto)
    out[proto] = path
json.dump(out, sys.stdout)
""";

    [Fact]
    public void Real_benign_objects_pickled_by_CPython_at_every_protocol_are_never_dangerous()
    {
        string dir = Directory.CreateTempSubdirectory("ptsharp-benign-").FullName;
        string script = Path.Combine(dir, "make.py");
        File.WriteAllText(script, BenignScript);
        try
        {
            var (code, stdout, stderr) = Oracle.Run("1.13", [script, dir], TimeSpan.FromMinutes(2));
            Assert.True(code == 0, stderr);
            var files = JsonSerializer.Deserialize<Dictionary<string, string>>(stdout)!;
            Assert.Equal(6, files.Count);
            foreach (var (proto, path) in files)
            {
                var r = PtScanner.ScanFile(path);
                Assert.False(r.IsDangerous, $"protocol {proto}: {Dump(r)}");
                Assert.False(r.IsMalformed, $"protocol {proto}: {Dump(r)}");
                Assert.Contains(r.Globals, g => g.FullName == "pathlib.PosixPath" && g.Verdict == GlobalVerdict.Safe);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
