namespace AppSwitch.Cli.Output;

/// <summary>Shows a command's argv as one line a user could paste into a shell.</summary>
internal static class CommandLineText
{
    public static string Join(IReadOnlyList<string> argv) => string.Join(' ', argv.Select(Quote));

    private static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.All(IsShellSafe)) return arg;
        return "'" + arg.Replace("'", "'\\''") + "'";
    }

    private static bool IsShellSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '@' or '+' or '%';
}
