using System.Text;

namespace PtSharp.Onnx.Script;

/// <summary>
/// Splits serialized TorchScript (the Python-syntax <c>code/</c> records) into tokens, with Python's indentation
/// rules: INDENT/DEDENT at line starts, no NEWLINE inside brackets, <c>#</c> comments dropped.
/// </summary>
internal static class Lexer
{
    private static readonly string[] Ops =
        ["**", "//", "==", "!=", "<=", ">=", "->", "<<", ">>", "+", "-", "*", "/", "%", "<", ">", "=", "(", ")", "[", "]",
         "{", "}", ",", ":", ".", "@", "&", "|", "^", "~"];

    public static List<Token> Tokenize(string text, string record)
    {
        var tokens = new List<Token>();
        var indents = new Stack<int>();
        indents.Push(0);
        int depth = 0, line = 1, i = 0;
        bool lineStart = true;
        while (i < text.Length)
        {
            if (lineStart && depth == 0)
            {
                int col = 0, j = i;
                while (j < text.Length && (text[j] == ' ' || text[j] == '\t')) { col += text[j] == '\t' ? 8 : 1; j++; }
                if (j >= text.Length) { i = j; break; }
                if (text[j] is '\n' or '\r' or '#') { i = SkipLine(text, j); line++; continue; }
                if (col > indents.Peek()) { indents.Push(col); tokens.Add(new(TokenKind.Indent, "", line)); }
                while (col < indents.Peek())
                {
                    indents.Pop();
                    tokens.Add(new(TokenKind.Dedent, "", line));
                    if (col > indents.Peek()) throw new OnnxConversionException("inconsistent indentation", record, line);
                }
                i = j;
                lineStart = false;
            }
            char c = text[i];
            if (c == '\n')
            {
                if (depth == 0) { tokens.Add(new(TokenKind.Newline, "", line)); lineStart = true; }
                line++; i++;
                continue;
            }
            if (c is ' ' or '\t' or '\r') { i++; continue; }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] == '\n') { i += 2; line++; continue; }
            if (c == '#') { while (i < text.Length && text[i] != '\n') i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                int s = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new(TokenKind.Name, text[s..i], line));
                continue;
            }
            if (char.IsDigit(c) || c == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1]))
            {
                tokens.Add(Number(text, ref i, line));
                continue;
            }
            if (c is '"' or '\'') { tokens.Add(new(TokenKind.String, ReadString(text, ref i, ref line, record), line)); continue; }
            string? op = Ops.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0);
            if (op is null) throw new OnnxConversionException($"unexpected character '{c}'", record, line);
            if (op is "(" or "[" or "{") depth++;
            if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
            tokens.Add(new(TokenKind.Op, op, line));
            i += op.Length;
        }
        if (tokens.Count > 0 && tokens[^1].Kind != TokenKind.Newline) tokens.Add(new(TokenKind.Newline, "", line));
        while (indents.Count > 1) { indents.Pop(); tokens.Add(new(TokenKind.Dedent, "", line)); }
        tokens.Add(new(TokenKind.End, "", line));
        return tokens;
    }

    private static int SkipLine(string text, int i)
    {
        while (i < text.Length && text[i] != '\n') i++;
        return i + 1;
    }

    private static Token Number(string text, ref int i, int line)
    {
        int s = i;
        bool isFloat = false;
        while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
        {
            if (text[i] == '.') isFloat = true;
            i++;
        }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            isFloat = true;
            i++;
            if (i < text.Length && text[i] is '+' or '-') i++;
            while (i < text.Length && char.IsDigit(text[i])) i++;
        }
        if (i < text.Length && text[i] == 'j') throw new OnnxConversionException("complex literals are not supported", null, line);
        return new(isFloat ? TokenKind.Float : TokenKind.Int, text[s..i], line);
    }

    private static string ReadString(string text, ref int i, ref int line, string record)
    {
        char quote = text[i++];
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= text.Length || text[i] == '\n') throw new OnnxConversionException("unterminated string", record, line);
            char c = text[i++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            char e = text[i++];
            sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
        }
    }
}
