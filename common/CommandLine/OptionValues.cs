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

    /// <summary>A validator for TCP/UDP port numbers; <paramref name="allowZero"/> lets 0 mean "off".</summary>
    public static Func<string, string?> Port(bool allowZero) => text =>
        TryParseInt(text, out var port) && port <= 65535 && (port > 0 || (allowZero && port == 0))
            ? null
            : "not a port number";
}
