using PtSharp.Onnx.Script;

namespace PtSharp.Onnx.Tests.Conversion;

/// <summary>The TorchScript-subset parser on the constructs serialized code uses.</summary>
public sealed class ParserTests
{
    private const string Code = """
        class Net(Module):
          __parameters__ = ["weight", ]
          __buffers__ = []
          weight : Tensor
          __annotations__["0"] = __torch__.torch.nn.modules.linear.Linear
          eps : Final[float] = 1.0000000000000001e-05
          def forward(self: __torch__.Net,
            x: Tensor) -> Tensor:
            _0 = getattr(self, "0")
            q, k, v, = torch.chunk(x, 3, -1)
            if torch.eq(torch.dim(x), 2):
              y = torch.mul(q, -2)
            else:
              pass
            for i in range(2):
              y = (_0).forward(y, )
            return (y, [k, v])
        def helper(a: int, b: int=3) -> int:
          return torch.add(a, b)
        """;

    [Fact]
    public void Parses_classes_methods_finals_and_functions()
    {
        var (classes, functions) = Parser.ParseRecord(Code, "code/__torch__.py", "__torch__");
        var net = Assert.Single(classes);
        Assert.Equal("__torch__.Net", net.QualifiedName);
        Assert.Equal(1e-5, ((ConstExpr)net.Finals["eps"]).Value);
        var forward = net.Methods["forward"];
        Assert.Equal(["self", "x"], forward.Parameters.Select(p => p.Name));
        Assert.IsType<TupleExpr>(((AssignStmt)forward.Body[1]).Target);
        var ifs = Assert.IsType<IfStmt>(forward.Body[2]);
        Assert.Equal(11, ifs.Line);
        Assert.IsType<PassStmt>(Assert.Single(ifs.Else));
        Assert.IsType<ForStmt>(forward.Body[3]);
        Assert.IsType<TupleExpr>(((ReturnStmt)forward.Body[4]).Value);
        var helper = Assert.Single(functions);
        Assert.Equal(3L, ((ConstExpr)helper.Parameters[1].Default!).Value);
    }

    [Fact]
    public void While_loops_parse_as_unsupported_statements_with_their_line()
    {
        var (classes, _) = Parser.ParseRecord("class A(Module):\n  def forward(self, x):\n    while True:\n      x = x\n    return x\n",
            "code/a.py", "__torch__");
        var stmt = Assert.IsType<UnsupportedStmt>(classes[0].Methods["forward"].Body[0]);
        Assert.Equal(("while", 3), (stmt.Keyword, stmt.Line));
    }

    [Fact]
    public void Syntax_errors_name_the_record_and_line()
    {
        var e = Assert.Throws<OnnxConversionException>(() => Parser.ParseRecord("def f(x):\n  return (x\n", "code/bad.py", "__torch__"));
        Assert.Equal("code/bad.py", e.Record);
        Assert.True(e.Line >= 2);
    }
}
