using System.Globalization;

namespace AppSwitch.Common.CommandLine;

/// <summary>Text → typed value conversions shared by flags, environment variables and defaults.</summary>
public static class OptionValues
{
    /// <summary>The spellings Go's strconv.ParseBool accepts, so AppSwitch-era scripts keep working.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "true" or "TRUE" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "false" or "FALSE" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public static bool TryParseInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>Why the text is not a valid value of the kind, or null when it is.</summary>
    public static string? CheckKind(OptionKind kind, string text) => kind switch
    {
        OptionKind.Bool when !TryParseBool(text, out _) => "not a boolean (use true or false)",
        OptionKind.Int when !TryParseInt(text, out _) => "not an integer",
        _ => null,
    };

    /// <summary>
    /// A duration as a whole number with a unit, ms, s, m or h (500ms, 60s, 2m), at most <see cref="MaxDuration"/>
    /// (timers take no more); 0 alone is zero. Throws <see cref="FormatException"/> with the reason otherwise.
    /// </summary>
    public static TimeSpan ParseDuration(string text)
    {
        var duration = ParseUnbounded(text);
        return duration <= MaxDuration ? duration : throw new FormatException($"'{text}' is longer than {MaxDuration.TotalHours:0}h");
    }

    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    private static TimeSpan ParseUnbounded(string text)
    {
        if (text == "0") return TimeSpan.Zero;
        var digits = text.TakeWhile(char.IsAsciiDigit).Count();
        var unit = text[digits..];
        if (digits is 0 or > 9 || !long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            throw new FormatException($"'{text}' is not a duration (a whole number with ms, s, m or h, e.g. 60s)");
        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => throw new FormatException($"'{text}' has no unit ms, s, m or h (e.g. 60s)"),
        };
    }

    /// <summary>Why the text is not a duration (<see cref="ParseDuration"/>), or null.</summary>
    public static string? CheckDuration(string text)
    {
        try
        {
            ParseDuration(text);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>A validator for TCP/UDP port numbers; <paramref name="allowZero"/> lets 0 mean "off".</summary>
    public static Func<string, string?> Port(bool allowZero) => text =>
        TryParseInt(text, out var port) && port <= 65535 && (port > 0 || (allowZero && port == 0))
            ? null
            : "not a port number";
}
