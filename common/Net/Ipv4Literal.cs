using System.Net;

namespace AppSwitch.Common.Net;

/// <summary>
/// Strict dotted-quad parsing. IPAddress.TryParse also takes "1" (0.0.0.1) and "1.2" (1.0.0.2), which are never
/// what someone typing `--ip` meant.
/// </summary>
public static class Ipv4Literal
{
    public static bool TryParse(string text, out IPAddress address)
    {
        address = IPAddress.None;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            // Leading zeros are refused: some tools read them as octal.
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0')) return false;
            var value = int.Parse(part, System.Globalization.CultureInfo.InvariantCulture);
            if (value > 255) return false;
            bytes[i] = (byte)value;
        }
        address = new IPAddress(bytes);
        return true;
    }
}
