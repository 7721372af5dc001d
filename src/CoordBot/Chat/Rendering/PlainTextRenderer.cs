using System.Text;

namespace CoordBot.Chat.Rendering;

/// <summary>Renders a reply as plain text: the fallback for channels and clients that show no cards.</summary>
public static class PlainTextRenderer
{
    public static string Render(Reply reply)
    {
        var sb = new StringBuilder();
        foreach (var block in reply.Blocks)
        {
            switch (block)
            {
                case Heading h: sb.AppendLine(h.Text); break;
                case Paragraph p: sb.AppendLine(p.Text); break;
                case Context c: sb.AppendLine(c.Text); break;
                case Fields f:
                    foreach (var field in f.Items) sb.Append(field.Label).Append(": ").AppendLine(field.Value);
                    break;
                case ItemList l:
                    foreach (var item in l.Items)
                        sb.Append("• ").Append(item.Title).AppendLine(item.Detail is null ? "" : " — " + item.Detail);
                    break;
                case Table t:
                    sb.AppendLine(string.Join(" | ", t.Headers));
                    foreach (var row in t.Rows) sb.AppendLine(string.Join(" | ", row));
                    break;
                case Actions a:
                    sb.AppendLine(string.Join("   ", a.Buttons.Select(b => $"[{b.Label}]")));
                    break;
                case Form form:
                    sb.Append(form.Title).Append(": ").AppendLine(string.Join(", ", form.Inputs.Select(i => i.Label + (i.Required ? "*" : ""))));
                    break;
                case FileAttachment file: sb.Append("File: ").AppendLine(file.FileName); break;
                case Divider: sb.AppendLine("—"); break;
                case LinkButton link: sb.Append(link.Label).Append(": ").AppendLine(link.IsSafeUrl ? link.Url : "(no link)"); break;
                case Chart chart: sb.Append(chart.Title).Append(": ").AppendLine(chart.IsSafeUrl ? chart.Url : "(no link)"); break;
            }
        }
        return sb.ToString().TrimEnd();
    }
}
