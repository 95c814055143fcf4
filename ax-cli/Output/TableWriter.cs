using System.Text;

namespace AppSwitch.Cli.Output;

/// <summary>
/// kubectl's table layout: an upper-case header row, left-aligned columns separated by at least three
/// spaces, no separator line and no trailing spaces.
/// </summary>
internal static class TableWriter
{
    public const int Padding = 3;

    public static string Format(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in rows)
            for (var c = 0; c < widths.Length; c++)
                widths[c] = Math.Max(widths[c], row[c].Length);

        var text = new StringBuilder();
        AppendRow(text, headers, widths);
        foreach (var row in rows) AppendRow(text, row, widths);
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> cells, int[] widths)
    {
        for (var c = 0; c < widths.Length; c++)
        {
            var last = c == widths.Length - 1;
            text.Append(last ? cells[c] : cells[c].PadRight(widths[c] + Padding));
        }
        text.Append('\n');
    }
}
