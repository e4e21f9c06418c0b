using System.Net;
using System.Reflection;
using System.Text;

namespace PtSharp.Report.Html;

/// <summary>
/// Puts the page together: the inline stylesheet and script (embedded resources) and the data as a JSON
/// <c>&lt;script type="application/json"&gt;</c> block. The Content-Security-Policy allows inline style and
/// script only and no source of any kind (no fetch, image, font or frame), so the page cannot reach the network
/// even if a string from the file were ever mistaken for markup.
/// </summary>
internal static class HtmlPage
{
    private const string Csp =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        + "base-uri 'none'; form-action 'none'";

    private static readonly Lazy<string> Css = new(() => Resource("PtSharp.Report.report.css"));
    private static readonly Lazy<string> Script = new(() => Resource("PtSharp.Report.report.js"));

    public static byte[] Render(string title, byte[] json)
    {
        var head = new StringBuilder();
        head.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        head.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(Csp).Append("\">\n");
        head.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        head.Append("<meta name=\"generator\" content=\"PtSharp pt report\">\n");
        head.Append("<title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n");
        head.Append("<style>\n").Append(Css.Value).Append("</style>\n</head>\n<body>\n");
        head.Append("<div id=\"app\"><noscript>This report needs JavaScript to draw its tables.</noscript></div>\n");
        head.Append("<script type=\"application/json\" id=\"pt-data\">");
        var tail = "</script>\n<script>\n" + Script.Value + "</script>\n</body>\n</html>\n";
        var utf8 = new UTF8Encoding(false);
        byte[] a = utf8.GetBytes(head.ToString()), c = utf8.GetBytes(tail);
        var page = new byte[a.Length + json.Length + c.Length];
        a.CopyTo(page, 0);
        json.CopyTo(page, a.Length);
        c.CopyTo(page, a.Length + json.Length);
        return page;
    }

    private static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("missing resource " + name);
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd().ReplaceLineEndings("\n");
    }
}
