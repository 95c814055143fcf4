namespace AppSwitch.Common.Paths;

/// <summary>
/// Where an agent's launcher socket lives (the directory pods mount); several agents on one machine use different
/// directories. The admin API and the state are in <see cref="AdminSocketDirectory"/>.
/// </summary>
public static class SocketDirectory
{
    public const string Default = "/var/run/appswitch";
    public const string EnvironmentVariable = "AX_SOCKET_DIR";
    /// <summary>The launcher endpoint (`ax run` talks to it).</summary>
    public const string LauncherSocketName = "ax.sock";

    public static string Resolve(string? flagValue) =>
        !string.IsNullOrEmpty(flagValue) ? flagValue
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env
        : Default;

    public static string LauncherSocket(string dir) => Path.Combine(dir, LauncherSocketName);
}
