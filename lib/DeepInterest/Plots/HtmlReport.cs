using System.Net;
using System.Text;
using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>
/// A self-contained HTML page of headings, paragraphs, tables and Plotly charts. plotly.js is embedded once from
/// Plotly.NET's own resources, so the report opens offline (no CDN).
/// </summary>
public sealed class HtmlReport(string title)
{
    private readonly StringBuilder body = new();

    public HtmlReport Heading(string text) { body.Append("<h2>").Append(WebUtility.HtmlEncode(text)).Append("</h2>\n"); return this; }

    public HtmlReport Paragraph(string text) { body.Append("<p>").Append(WebUtility.HtmlEncode(text)).Append("</p>\n"); return this; }

    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        body.Append("<table><tr>");
        foreach (var h in header) body.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        body.Append("</tr>\n");
        foreach (var row in rows)
        {
            body.Append("<tr>");
            foreach (var cell in row) body.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            body.Append("</tr>\n");
        }
        body.Append("</table>\n");
        return this;
    }

    public HtmlReport Chart(GenericChart chart) { body.Append(GenericChart.toChartHTML(chart)).Append('\n'); return this; }

    /// <summary>Writes the page atomically (temp file, then rename).</summary>
    public void Save(string path)
    {
        var html = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n")
            .Append("<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#223}table{border-collapse:collapse}")
            .Append("td,th{border:1px solid #ccd;padding:4px 10px;text-align:right}th{background:#eef}td:first-child{text-align:left}</style>\n")
            .Append("<script type=\"text/javascript\">").Append(PlotlyJs.Value).Append("</script>\n</head><body>\n")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n")
            .Append(body)
            .Append("</body></html>\n");
        AtomicFile.WriteText(path, html.ToString());
    }

    private static readonly Lazy<string> PlotlyJs = new(() =>
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.StartsWith("Plotly.NET.plotly-") && n.EndsWith(".min.js"));
        using var stream = assembly.GetManifestResourceStream(name)!;
        return new StreamReader(stream).ReadToEnd().Replace("</script>", "<\\/script>");
    });
}
