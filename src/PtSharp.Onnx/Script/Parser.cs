using System.Globalization;

namespace PtSharp.Onnx.Script;

/// <summary>
/// Parses one serialized TorchScript record (<c>code/__torch__/a/b.py</c>, qualifier <c>__torch__.a.b</c>) into its
/// classes and module-level functions. Recursive descent over the Python subset torch prints.
/// </summary>
internal sealed class Parser
{
    private readonly List<Token> _t;
    private readonly string _record;
    private readonly string _qualifier;
    private int _p;

    private Parser(List<Token> tokens, string record, string qualifier)
    {
        _t = tokens;
        _record = record;
        _qualifier = qualifier;
    }

    public static (List<ClassDef> Classes, List<FunctionDef> Functions) ParseRecord(string text, string record, string qualifier)
    {
        var parser = new Parser(Lexer.Tokenize(text, record), record, qualifier);
        return parser.ParseModule();
    }

    private Token Peek => _t[_p];
    private Token Next() => _t[_p++];

    private OnnxConversionException Error(string message, Token at) => new(message, _record, at.Line);

    private Token Expect(string op)
    {
        var t = Next();
        if (!t.Is(op)) throw Error($"expected '{op}', found {t}", t);
        return t;
    }

    private string ExpectName()
    {
        var t = Next();
        if (t.Kind != TokenKind.Name) throw Error($"expected a name, found {t}", t);
        return t.Text;
    }

    private void SkipNewlines()
    {
        while (Peek.Kind == TokenKind.Newline) _p++;
    }

    private (List<ClassDef>, List<FunctionDef>) ParseModule()
    {
        var classes = new List<ClassDef>();
        var functions = new List<FunctionDef>();
        while (true)
        {
            SkipNewlines();
            var t = Peek;
            if (t.Kind == TokenKind.End) break;
            if (t.IsName("class")) classes.Add(ParseClass());
            else if (t.IsName("def")) functions.Add(ParseDef());
            else if (t.IsName("import") || t.IsName("from")) SkipLogicalLine();
            else SkipLogicalLine(); // module-level assignments (type aliases) carry nothing a graph needs
        }
        return (classes, functions);
    }

    private void SkipLogicalLine()
    {
        while (Peek.Kind is not (TokenKind.Newline or TokenKind.End)) _p++;
        if (Peek.Kind == TokenKind.Newline) _p++;
    }

    private ClassDef ParseClass()
    {
        int line = Next().Line;
        string name = ExpectName();
        if (Peek.Is("("))
        {
            while (!Next().Is(")")) { }
        }
        Expect(":");
        ExpectNewline();
        var methods = new Dictionary<string, FunctionDef>(StringComparer.Ordinal);
        var finals = new Dictionary<string, Expr>(StringComparer.Ordinal);
        if (Peek.Kind != TokenKind.Indent) return new(_qualifier + "." + name, methods, finals, _record, line);
        _p++;
        while (Peek.Kind != TokenKind.Dedent && Peek.Kind != TokenKind.End)
        {
            if (Peek.Kind == TokenKind.Newline) { _p++; continue; }
            if (Peek.IsName("def")) { var f = ParseDef(); methods[f.Name] = f; continue; }
            // `name : Type` or `name : Final[T] = value` or `__parameters__ = [...]` or `__annotations__["0"] = T`
            if (Peek.Kind == TokenKind.Name && _t[_p + 1].Is(":"))
            {
                string attr = Next().Text;
                _p++;
                ParseExpr();
                if (Peek.Is("=")) { _p++; finals[attr] = ParseExpr(); }
                ExpectNewline();
                continue;
            }
            SkipLogicalLine();
        }
        if (Peek.Kind == TokenKind.Dedent) _p++;
        return new(_qualifier + "." + name, methods, finals, _record, line);
    }

    private void ExpectNewline()
    {
        var t = Next();
        if (t.Kind is not (TokenKind.Newline or TokenKind.End)) throw Error($"expected end of line, found {t}", t);
    }

    private FunctionDef ParseDef()
    {
        int line = Next().Line;
        string name = ExpectName();
        Expect("(");
        var parameters = new List<Parameter>();
        while (!Peek.Is(")"))
        {
            string p = ExpectName();
            if (Peek.Is(":")) { _p++; ParseExpr(); }
            Expr? def = null;
            if (Peek.Is("=")) { _p++; def = ParseExpr(); }
            parameters.Add(new(p, def));
            if (Peek.Is(",")) _p++;
        }
        Expect(")");
        if (Peek.Is("->")) { _p++; ParseExpr(); }
        Expect(":");
        var body = ParseBlock();
        return new(name, parameters, body, _record, line);
    }

    private List<Stmt> ParseBlock()
    {
        if (Peek.Kind != TokenKind.Newline)
        {
            var single = ParseSimpleStatement();
            return [single];
        }
        _p++;
        SkipNewlines();
        if (Peek.Kind != TokenKind.Indent) throw Error("expected an indented block", Peek);
        _p++;
        var body = new List<Stmt>();
        while (Peek.Kind != TokenKind.Dedent && Peek.Kind != TokenKind.End)
        {
            if (Peek.Kind == TokenKind.Newline) { _p++; continue; }
            body.Add(ParseStatement());
        }
        if (Peek.Kind == TokenKind.Dedent) _p++;
        return body;
    }

    private Stmt ParseStatement()
    {
        var t = Peek;
        if (t.IsName("if")) return ParseIf();
        if (t.IsName("for"))
        {
            _p++;
            var target = ParseTargetList();
            if (!Next().IsName("in")) throw Error("expected 'in'", t);
            var iterable = ParseExpr();
            Expect(":");
            return new ForStmt(target, iterable, ParseBlock(), t.Line);
        }
        if (t.IsName("while") || t.IsName("with") || t.IsName("try") || t.IsName("def") || t.IsName("class"))
        {
            SkipCompound();
            return new UnsupportedStmt(t.Text, t.Line);
        }
        return ParseSimpleStatement();
    }

    private void SkipCompound()
    {
        SkipLogicalLine();
        if (Peek.Kind != TokenKind.Indent) return;
        int level = 0;
        do
        {
            var k = Next().Kind;
            if (k == TokenKind.Indent) level++;
            if (k == TokenKind.Dedent) level--;
        } while (level > 0 && Peek.Kind != TokenKind.End);
        if (Peek.IsName("else") || Peek.IsName("except") || Peek.IsName("finally")) SkipCompound();
    }

    private Stmt ParseIf()
    {
        int line = Next().Line;
        var cond = ParseExpr();
        Expect(":");
        var then = ParseBlock();
        IReadOnlyList<Stmt> otherwise = [];
        SkipNewlines();
        if (Peek.IsName("elif")) otherwise = [ParseIf()];
        else if (Peek.IsName("else"))
        {
            _p++;
            Expect(":");
            otherwise = ParseBlock();
        }
        return new IfStmt(cond, then, otherwise, line);
    }

    private Stmt ParseSimpleStatement()
    {
        var t = Peek;
        Stmt s;
        if (t.IsName("return"))
        {
            _p++;
            s = new ReturnStmt(Peek.Kind == TokenKind.Newline ? null : ParseTupleOrExpr(), t.Line);
        }
        else if (t.IsName("pass")) { _p++; s = new PassStmt(t.Line); }
        else if (t.IsName("raise") || t.IsName("assert") || t.IsName("del") || t.IsName("break") || t.IsName("continue")
                 || t.IsName("global") || t.IsName("nonlocal"))
        {
            SkipLogicalLine();
            return new UnsupportedStmt(t.Text, t.Line);
        }
        else
        {
            var first = ParseTupleOrExpr();
            if (Peek.Is("="))
            {
                _p++;
                s = new AssignStmt(first, ParseTupleOrExpr(), t.Line);
            }
            else if (Peek.Is(":"))
            {
                _p++;
                ParseExpr();
                Expect("=");
                s = new AssignStmt(first, ParseTupleOrExpr(), t.Line);
            }
            else s = new ExprStmt(first, t.Line);
        }
        ExpectNewline();
        return s;
    }

    private Expr ParseTargetList()
    {
        int line = Peek.Line;
        var items = new List<Expr> { ParsePostfix() };
        bool tuple = false;
        while (Peek.Is(",")) { _p++; tuple = true; if (Peek.IsName("in")) break; items.Add(ParsePostfix()); }
        return tuple ? new TupleExpr(items, line) : items[0];
    }

    /// <summary>`a, b, = ...` and `return x, y`: a bare comma list is a tuple.</summary>
    private Expr ParseTupleOrExpr()
    {
        int line = Peek.Line;
        var first = ParseExpr();
        if (!Peek.Is(",")) return first;
        var items = new List<Expr> { first };
        while (Peek.Is(","))
        {
            _p++;
            if (Peek.Kind == TokenKind.Newline || Peek.Is("=")) break;
            items.Add(ParseExpr());
        }
        return new TupleExpr(items, line);
    }

    private Expr ParseExpr()
    {
        var e = ParseOr();
        if (Peek.IsName("if"))
        {
            int line = Next().Line;
            var cond = ParseOr();
            if (!Next().IsName("else")) throw Error("expected 'else' in conditional expression", Peek);
            var other = ParseExpr();
            return new IfExpr(cond, e, other, line);
        }
        return e;
    }

    private Expr ParseOr()
    {
        var e = ParseAnd();
        while (Peek.IsName("or")) { int l = Next().Line; e = new BinaryExpr("or", e, ParseAnd(), l); }
        return e;
    }

    private Expr ParseAnd()
    {
        var e = ParseNot();
        while (Peek.IsName("and")) { int l = Next().Line; e = new BinaryExpr("and", e, ParseNot(), l); }
        return e;
    }

    private Expr ParseNot()
    {
        if (Peek.IsName("not")) { int l = Next().Line; return new UnaryExpr("not", ParseNot(), l); }
        return ParseComparison();
    }

    private Expr ParseComparison()
    {
        var e = ParseArith();
        while (true)
        {
            var t = Peek;
            string? op = t.Kind == TokenKind.Op && t.Text is "==" or "!=" or "<" or ">" or "<=" or ">=" ? t.Text : null;
            if (t.IsName("is")) { _p++; op = "is"; if (Peek.IsName("not")) { _p++; op = "is not"; } }
            else if (t.IsName("in")) { _p++; op = "in"; }
            else if (t.IsName("not") && _t[_p + 1].IsName("in")) { _p += 2; op = "not in"; }
            else if (op is not null) _p++;
            if (op is null) return e;
            e = new BinaryExpr(op, e, ParseArith(), t.Line);
        }
    }

    private Expr ParseArith()
    {
        var e = ParseTerm();
        while (Peek.Is("+") || Peek.Is("-")) { var t = Next(); e = new BinaryExpr(t.Text, e, ParseTerm(), t.Line); }
        return e;
    }

    private Expr ParseTerm()
    {
        var e = ParseUnary();
        while (Peek.Is("*") || Peek.Is("/") || Peek.Is("//") || Peek.Is("%") || Peek.Is("@"))
        {
            var t = Next();
            e = new BinaryExpr(t.Text, e, ParseUnary(), t.Line);
        }
        return e;
    }

    private Expr ParseUnary()
    {
        if (Peek.Is("-") || Peek.Is("+") || Peek.Is("~"))
        {
            var t = Next();
            var operand = ParseUnary();
            if (t.Text == "-" && operand is ConstExpr { Value: long l }) return new ConstExpr(-l, t.Line);
            if (t.Text == "-" && operand is ConstExpr { Value: double d }) return new ConstExpr(-d, t.Line);
            return new UnaryExpr(t.Text, operand, t.Line);
        }
        var e = ParsePostfix();
        if (Peek.Is("**")) { var t = Next(); return new BinaryExpr("**", e, ParseUnary(), t.Line); }
        return e;
    }

    private Expr ParsePostfix()
    {
        var e = ParseAtom();
        while (true)
        {
            var t = Peek;
            if (t.Is(".")) { _p++; e = new AttrExpr(e, ExpectName(), t.Line); continue; }
            if (t.Is("(")) { _p++; e = ParseCall(e, t.Line); continue; }
            if (t.Is("[")) { _p++; e = new IndexExpr(e, ParseSubscript(), t.Line); Expect("]"); continue; }
            return e;
        }
    }

    private Expr ParseSubscript()
    {
        int line = Peek.Line;
        Expr? Part() => Peek.Is(":") || Peek.Is("]") || Peek.Is(",") ? null : ParseExpr();
        var start = Part();
        if (!Peek.Is(":"))
        {
            if (!Peek.Is(",")) return start!;
            var items = new List<Expr> { start! };
            while (Peek.Is(",")) { _p++; if (Peek.Is("]")) break; items.Add(ParseExpr()); }
            return new TupleExpr(items, line);
        }
        _p++;
        var stop = Part();
        Expr? step = null;
        if (Peek.Is(":")) { _p++; step = Part(); }
        return new SliceExpr(start, stop, step, line);
    }

    private CallExpr ParseCall(Expr function, int line)
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Peek.Is(")"))
        {
            if (Peek.Kind == TokenKind.Name && _t[_p + 1].Is("="))
            {
                string name = Next().Text;
                _p++;
                kwargs.Add((name, ParseExpr()));
            }
            else args.Add(ParseExpr());
            if (Peek.Is(",")) _p++;
            else if (!Peek.Is(")")) throw Error($"expected ',' or ')', found {Peek}", Peek);
        }
        _p++;
        return new CallExpr(function, args, kwargs, line);
    }

    private Expr ParseAtom()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Int:
                return new ConstExpr(long.Parse(t.Text, CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Float:
                return new ConstExpr(double.Parse(t.Text, CultureInfo.InvariantCulture), t.Line);
            case TokenKind.String:
                string s = t.Text;
                while (Peek.Kind == TokenKind.String) s += Next().Text;
                return new ConstExpr(s, t.Line);
            case TokenKind.Name:
                return t.Text switch
                {
                    "None" => new ConstExpr(null, t.Line),
                    "True" => new ConstExpr(true, t.Line),
                    "False" => new ConstExpr(false, t.Line),
                    _ => new NameExpr(t.Text, t.Line),
                };
        }
        if (t.Is("("))
        {
            if (Peek.Is(")")) { _p++; return new TupleExpr([], t.Line); }
            var first = ParseExpr();
            if (Peek.Is(")")) { _p++; return first; }
            var items = new List<Expr> { first };
            while (Peek.Is(",")) { _p++; if (Peek.Is(")")) break; items.Add(ParseExpr()); }
            Expect(")");
            return new TupleExpr(items, t.Line);
        }
        if (t.Is("["))
        {
            var items = new List<Expr>();
            while (!Peek.Is("]"))
            {
                items.Add(ParseExpr());
                if (Peek.Is(",")) _p++;
                else if (!Peek.Is("]")) throw Error($"expected ',' or ']', found {Peek}", Peek);
            }
            _p++;
            return new ListExpr(items, t.Line);
        }
        throw Error($"unexpected {t}", t);
    }
}
