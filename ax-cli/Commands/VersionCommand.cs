using System.Reflection;

namespace AppSwitch.Cli.Commands;

/// <summary>`ax version`: one line with the product version (the assembly's informational version without build metadata).</summary>
internal static class VersionCommand
{
    public static string Line()
    {
        var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var plus = version.IndexOf('+');
        return $"ax version {(plus < 0 ? version : version[..plus])} (AppSwitch for .NET)";
    }
}
