namespace AppSwitch.Agent.Launcher;

/// <summary>
/// Parses `--labels k=v,k2=v2`. Keys and values follow Kubernetes label syntax, because the Kubernetes adapter
/// turns pod labels into the same labels: key = optional DNS-subdomain prefix and '/', then a name of
/// 1-63 characters; value = 0-63 characters; names and values use letters, digits, '-', '_', '.' and
/// begin and end with a letter or digit.
/// </summary>
public static class LabelListParser
{
    /// <summary>The labels in the order given (an empty text gives none), or the reason the text is wrong.</summary>
    public static bool TryParse(string text, out Dictionary<string, string> labels, out string reason)
    {
        labels = new Dictionary<string, string>(StringComparer.Ordinal);
        reason = "";
        if (text.Length == 0) return true;

        foreach (var item in text.Split(','))
        {
            var equals = item.IndexOf('=');
            if (equals < 0)
            {
                reason = $"label \"{item}\" is not key=value";
                return false;
            }
            var key = item[..equals];
            var value = item[(equals + 1)..];
            if (ExplainKey(key) is { } badKey)
            {
                reason = $"label key \"{key}\" {badKey}";
                return false;
            }
            if (value.Length > 0 && !IsName(value))
            {
                reason = $"label value \"{value}\" must be at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit";
                return false;
            }
            if (!labels.TryAdd(key, value))
            {
                reason = $"label key \"{key}\" given twice";
                return false;
            }
        }
        return true;
    }

    private static string? ExplainKey(string key)
    {
        var slash = key.IndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0 && !IsDnsSubdomain(key[..slash])) return "has a prefix that is not a DNS subdomain";
        return IsName(name)
            ? null
            : "must be at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit";
    }

    private static bool IsName(string s) =>
        s.Length is > 0 and <= 63
        && char.IsAsciiLetterOrDigit(s[0])
        && char.IsAsciiLetterOrDigit(s[^1])
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsDnsSubdomain(string s) =>
        s.Length is > 0 and <= 253 && s.Split('.').All(DnsLabel.IsValid);
}
