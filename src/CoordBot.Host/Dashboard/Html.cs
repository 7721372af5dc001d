using System.Globalization;
using System.Text;
using static System.Net.WebUtility;

namespace CoordBot.Host.Dashboard;

/// <summary>
/// A small HTML writer for the dashboard's pages: every piece of text goes through <see cref="Text"/> (HTML-encoded), links
/// and image sources only through <see cref="Attr"/> with paths the dashboard builds itself. No scripts, no inline styles.
/// </summary>
internal sealed class Html
{
    private readonly StringBuilder _sb = new(16 * 1024);

    /// <summary>Encoded text.</summary>
    public Html Text(string? text)
    {
        _sb.Append(HtmlEncode(text ?? ""));
        return this;
    }

    /// <summary>Markup written by the dashboard itself (tags, never user text).</summary>
    public Html Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    /// <summary>An attribute with an encoded value: <c> name="value"</c>.</summary>
    public Html Attr(string name, string value)
    {
        _sb.Append(' ').Append(name).Append("=\"").Append(HtmlEncode(value)).Append('"');
        return this;
    }

    /// <summary><c>&lt;tag&gt;text&lt;/tag&gt;</c>, with an optional class.</summary>
    public Html El(string tag, string? text, string? cssClass = null)
    {
        _sb.Append('<').Append(tag);
        if (cssClass is not null) Attr("class", cssClass);
        _sb.Append('>');
        Text(text);
        _sb.Append("</").Append(tag).Append('>');
        return this;
    }

    /// <summary>A link to a dashboard path with encoded text.</summary>
    public Html Link(string href, string text, string? cssClass = null)
    {
        _sb.Append("<a");
        Attr("href", href);
        if (cssClass is not null) Attr("class", cssClass);
        _sb.Append('>');
        Text(text);
        _sb.Append("</a>");
        return this;
    }

    public Html Number(long n)
    {
        _sb.Append(n.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public override string ToString() => _sb.ToString();
}
