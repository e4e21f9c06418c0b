namespace PtSharp.Onnx.Script;

/// <summary>An expression of the TorchScript subset, with its source line.</summary>
internal abstract record Expr(int Line);

internal sealed record NameExpr(string Name, int Line) : Expr(Line);
internal sealed record ConstExpr(object? Value, int Line) : Expr(Line);
internal sealed record AttrExpr(Expr Target, string Name, int Line) : Expr(Line);
internal sealed record CallExpr(Expr Function, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Line)
    : Expr(Line);
internal sealed record IndexExpr(Expr Target, Expr Index, int Line) : Expr(Line);
internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);
internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);
internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);
internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line);
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line);
internal sealed record IfExpr(Expr Condition, Expr Then, Expr Else, int Line) : Expr(Line);

/// <summary>A statement of the TorchScript subset, with its source line.</summary>
internal abstract record Stmt(int Line);

internal sealed record AssignStmt(Expr Target, Expr Value, int Line) : Stmt(Line);
internal sealed record ExprStmt(Expr Value, int Line) : Stmt(Line);
internal sealed record ReturnStmt(Expr? Value, int Line) : Stmt(Line);
internal sealed record IfStmt(Expr Condition, IReadOnlyList<Stmt> Then, IReadOnlyList<Stmt> Else, int Line) : Stmt(Line);
internal sealed record ForStmt(Expr Target, Expr Iterable, IReadOnlyList<Stmt> Body, int Line) : Stmt(Line);
internal sealed record PassStmt(int Line) : Stmt(Line);
/// <summary>A statement that parses but that conversion refuses when it runs (<c>while</c>, <c>with</c>...).</summary>
internal sealed record UnsupportedStmt(string Keyword, int Line) : Stmt(Line);

/// <summary>A parameter of a <c>def</c>: name and default (types are not needed: values carry their own).</summary>
internal sealed record Parameter(string Name, Expr? Default);

/// <summary>A method or module-level function.</summary>
internal sealed record FunctionDef(string Name, IReadOnlyList<Parameter> Parameters, IReadOnlyList<Stmt> Body, string Record,
    int Line);

/// <summary>A TorchScript class: its methods and the constant values of its <c>Final</c> attributes.</summary>
internal sealed record ClassDef(string QualifiedName, IReadOnlyDictionary<string, FunctionDef> Methods,
    IReadOnlyDictionary<string, Expr> Finals, string Record, int Line);
