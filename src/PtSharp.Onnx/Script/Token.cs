namespace PtSharp.Onnx.Script;

/// <summary>Kinds of TorchScript source tokens.</summary>
internal enum TokenKind { Name, Int, Float, String, Op, Newline, Indent, Dedent, End }

/// <summary>One token with its 1-based source line.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line)
{
    public bool Is(string op) => Kind == TokenKind.Op && Text == op;
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;
    public override string ToString() => Kind is TokenKind.Newline or TokenKind.Indent or TokenKind.Dedent or TokenKind.End
        ? Kind.ToString().ToLowerInvariant() : $"'{Text}'";
}
