using System.Globalization;
using System.Text;
using System.Text.Json;
using static System.Net.WebUtility;

namespace CoordBot.Chat.Rendering;

/// <summary>
/// Renders a reply as an HTML fragment for the local chat page. Every piece of text is HTML-encoded
/// here; buttons and forms carry their action as JSON in a data attribute that the page posts back.
/// </summary>
public static class HtmlRenderer
{
    public static string Render(Reply reply)
    {
        var sb = new StringBuilder();
        sb.Append("<div class=\"card").Append(reply.IsError ? " error" : "").Append(reply.Ephemeral ? " ephemeral" : "").Append("\">");
        foreach (var block in reply.Blocks) RenderBlock(sb, block);
        sb.Append("</div>");
        return sb.ToString();
    }

    /// <summary>The size a run chart PNG is drawn at (CheckInDigest.ChartPngAsync's default).</summary>
    private const int ChartWidth = 800, ChartHeight = 400;

    /// <summary>A safe chart link (see <see cref="Chart.IsSafeUrl"/>) as a path on this host: absolute links lose their scheme and host.</summary>
    private static string SameOrigin(string url) =>
        url.StartsWith('/') ? url : Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.PathAndQuery : url;

    private static void RenderBlock(StringBuilder sb, Block block)
    {
        switch (block)
        {
            case Heading h: sb.Append("<h3>").Append(HtmlEncode(h.Text)).Append("</h3>"); break;
            case Paragraph p: sb.Append("<p>").Append(Lines(p.Text)).Append("</p>"); break;
            case Context c: sb.Append("<p class=\"context\">").Append(Lines(c.Text)).Append("</p>"); break;
            case Divider: sb.Append("<hr>"); break;
            case Fields f:
                sb.Append("<dl>");
                foreach (var field in f.Items)
                    sb.Append("<dt>").Append(HtmlEncode(field.Label)).Append("</dt><dd>").Append(Lines(field.Value)).Append("</dd>");
                sb.Append("</dl>");
                break;
            case ItemList l:
                sb.Append("<ul>");
                foreach (var item in l.Items)
                {
                    sb.Append("<li><span class=\"title\">").Append(HtmlEncode(item.Title)).Append("</span>");
                    if (item.Detail is not null) sb.Append("<span class=\"detail\">").Append(HtmlEncode(item.Detail)).Append("</span>");
                    sb.Append("</li>");
                }
                sb.Append("</ul>");
                break;
            case Table t:
                sb.Append("<table><thead><tr>");
                foreach (var header in t.Headers) sb.Append("<th>").Append(HtmlEncode(header)).Append("</th>");
                sb.Append("</tr></thead><tbody>");
                foreach (var row in t.Rows)
                {
                    sb.Append("<tr>");
                    foreach (var cell in row) sb.Append("<td>").Append(HtmlEncode(cell)).Append("</td>");
                    sb.Append("</tr>");
                }
                sb.Append("</tbody></table>");
                break;
            case Actions a:
                sb.Append("<div class=\"actions\">");
                foreach (var button in a.Buttons)
                    sb.Append("<button type=\"button\" class=\"").Append(button.Style.ToString().ToLowerInvariant())
                      .Append("\" data-action=\"").Append(HtmlEncode(JsonSerializer.Serialize(button.Action, ReplyJson.Options))).Append("\">")
                      .Append(HtmlEncode(button.Label)).Append("</button>");
                sb.Append("</div>");
                break;
            case LinkButton link when link.IsSafeUrl:
                sb.Append("<div class=\"actions\"><a class=\"button primary\" href=\"").Append(HtmlEncode(link.Url))
                  .Append("\" target=\"_blank\" rel=\"noopener\">").Append(HtmlEncode(link.Label)).Append("</a></div>");
                break;
            case Form form:
                RenderForm(sb, form);
                break;
            case FileAttachment file:
                sb.Append("<a class=\"file\" download=\"").Append(HtmlEncode(file.FileName)).Append("\" href=\"data:")
                  .Append(HtmlEncode(file.MediaType)).Append(";base64,").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(file.Content)))
                  .Append("\">Download ").Append(HtmlEncode(file.FileName)).Append("</a>");
                break;
            case Chart chart when chart.IsSafeUrl:
                // The page's own origin serves the chart (its CSP allows images from 'self' only): the link's path and query,
                // which is what the signature covers, whatever public address the link was made for. The PNG when there is
                // one, sized so the page does not jump as it loads; its text alternative as alt.
                var image = SameOrigin(chart.HasSafeImage ? chart.ImageUrl! : chart.Url);
                sb.Append("<figure class=\"chart\"><img src=\"").Append(HtmlEncode(image)).Append("\" width=\"").Append(ChartWidth)
                  .Append("\" height=\"").Append(ChartHeight).Append("\" alt=\"").Append(HtmlEncode(chart.AltText ?? chart.Title))
                  .Append("\" loading=\"lazy\"><figcaption><a href=\"").Append(HtmlEncode(SameOrigin(chart.Url))).Append("\" target=\"_blank\" rel=\"noopener\">")
                  .Append(HtmlEncode(chart.Title)).Append("</a></figcaption></figure>");
                break;
            case Chart chart:
                sb.Append("<p class=\"context\">").Append(HtmlEncode(chart.Title)).Append(" (no link)</p>");
                break;
        }
    }

    private static void RenderForm(StringBuilder sb, Form form)
    {
        sb.Append("<form data-command=\"").Append(HtmlEncode(form.Command)).Append("\"><h4>").Append(HtmlEncode(form.Title)).Append("</h4>");
        foreach (var input in form.Inputs)
        {
            var id = HtmlEncode(input.Name);
            sb.Append("<label>").Append(HtmlEncode(input.Label)).Append(input.Required ? " *" : "");
            var required = input.Required ? " required" : "";
            var value = input.Initial is null ? "" : $" value=\"{HtmlEncode(input.Initial)}\"";
            var placeholder = input.Placeholder is null ? "" : $" placeholder=\"{HtmlEncode(input.Placeholder)}\"";
            switch (input.Kind)
            {
                case InputKind.LongText:
                    sb.Append(CultureInfo.InvariantCulture, $"<textarea name=\"{id}\"{required}{placeholder}>").Append(HtmlEncode(input.Initial ?? "")).Append("</textarea>");
                    break;
                case InputKind.Choice:
                    sb.Append(CultureInfo.InvariantCulture, $"<select name=\"{id}\"{required}>");
                    if (!input.Required) sb.Append("<option value=\"\"></option>");
                    foreach (var choice in input.Choices ?? [])
                        sb.Append("<option value=\"").Append(HtmlEncode(choice)).Append('"').Append(choice == input.Initial ? " selected" : "")
                          .Append('>').Append(HtmlEncode(choice)).Append("</option>");
                    sb.Append("</select>");
                    break;
                default:
                    var type = input.Kind switch { InputKind.Number => "number", InputKind.Date => "date", _ => "text" };
                    sb.Append(CultureInfo.InvariantCulture, $"<input type=\"{type}\" name=\"{id}\"{required}{value}{placeholder}>");
                    break;
            }
            sb.Append("</label>");
        }
        sb.Append("<button type=\"submit\" class=\"primary\">").Append(HtmlEncode(form.SubmitLabel)).Append("</button></form>");
    }

    private static string Lines(string text) => HtmlEncode(text).Replace("\n", "<br>");
}
