namespace AppSwitch.Agent.Launcher;

/// <summary>RFC 1123 labels: what `--name` accepts, since the name is served by the agent's DNS.</summary>
public static class DnsLabel
{
    public const string Rule = "must be 1-63 lowercase letters, digits or '-', beginning and ending with a letter or digit";

    public static bool IsValid(string s) =>
        s.Length is > 0 and <= 63
        && IsLowerAlphanumeric(s[0])
        && IsLowerAlphanumeric(s[^1])
        && s.All(c => IsLowerAlphanumeric(c) || c == '-');

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
