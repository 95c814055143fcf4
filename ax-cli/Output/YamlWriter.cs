using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AppSwitch.Cli.Output;

/// <summary>
/// Writes a JSON document as block-style YAML, the way kubectl shows resources: sequences under a key are not
/// indented, strings stay plain unless a YAML reader would take them for something else (a number, a boolean,
/// a timestamp, an indicator), in which case they are double-quoted.
/// Converting from JSON guarantees `-o yaml` shows exactly the object `-o json` shows.
/// </summary>
internal static partial class YamlWriter
{
    private const int Indent = 2;

    public static string FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var text = new StringBuilder();
        WriteBlock(text, document.RootElement, 0, inlineFirstLine: false);
        return text.ToString();
    }

    private static void WriteBlock(StringBuilder text, JsonElement value, int indent, bool inlineFirstLine)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when HasItems(value):
                WriteMapping(text, value, indent, inlineFirstLine);
                break;
            case JsonValueKind.Array when HasItems(value):
                WriteSequence(text, value, indent, inlineFirstLine);
                break;
            default:
                if (!inlineFirstLine) text.Append(' ', indent);
                text.Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void WriteMapping(StringBuilder text, JsonElement mapping, int indent, bool inlineFirstLine)
    {
        var first = true;
        foreach (var property in mapping.EnumerateObject())
        {
            if (!first || !inlineFirstLine) text.Append(' ', indent);
            first = false;
            text.Append(QuoteIfNeeded(property.Name)).Append(':');
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Object && HasItems(value))
            {
                text.Append('\n');
                WriteMapping(text, value, indent + Indent, inlineFirstLine: false);
            }
            else if (value.ValueKind == JsonValueKind.Array && HasItems(value))
            {
                text.Append('\n');
                WriteSequence(text, value, indent, inlineFirstLine: false);
            }
            else
            {
                text.Append(' ').Append(Scalar(value)).Append('\n');
            }
        }
    }

    private static void WriteSequence(StringBuilder text, JsonElement sequence, int indent, bool inlineFirstLine)
    {
        var first = true;
        foreach (var item in sequence.EnumerateArray())
        {
            if (!first || !inlineFirstLine) text.Append(' ', indent);
            first = false;
            text.Append("- ");
            WriteBlock(text, item, indent + Indent, inlineFirstLine: true);
        }
    }

    private static bool HasItems(JsonElement collection) => collection.ValueKind switch
    {
        JsonValueKind.Object => collection.EnumerateObject().Any(),
        JsonValueKind.Array => collection.GetArrayLength() > 0,
        _ => false,
    };

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => QuoteIfNeeded(value.GetString()!),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Object => "{}",
        JsonValueKind.Array => "[]",
        _ => "null",
    };

    internal static string QuoteIfNeeded(string s) => NeedsQuotes(s) ? DoubleQuoted(s) : s;

    private static bool NeedsQuotes(string s)
    {
        if (s.Length == 0) return true;
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return true;
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0])) return true;
        if (s.Contains(": ") || s.Contains(" #") || s.EndsWith(':')) return true;
        if (s.Any(c => char.IsControl(c) || c == '\uFEFF')) return true;
        return LooksLikeOtherType(s);
    }

    /// <summary>Plain scalars a YAML 1.1 or 1.2 reader would not read as a string.</summary>
    private static bool LooksLikeOtherType(string s) =>
        ReservedWords.Contains(s)
        || double.TryParse(s.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out _)
        || NumberOrTimestamp().IsMatch(s);

    private static readonly HashSet<string> ReservedWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    };

    // Hex/octal/binary integers, sexagesimal numbers (1:30), .inf/.nan and dates/timestamps.
    [GeneratedRegex(@"^[-+]?(0[xob][0-9a-fA-F_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|\.(inf|Inf|INF|nan|NaN|NAN))$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")]
    private static partial Regex NumberOrTimestamp();

    private static string DoubleQuoted(string s)
    {
        var text = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\0': text.Append("\\0"); break;
                default:
                    if (char.IsControl(c) || c == '\uFEFF') text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }
        return text.Append('"').ToString();
    }
}
