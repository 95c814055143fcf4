namespace AppSwitch.Common.Paths;

/// <summary>Where an agent's Unix sockets and state live; several agents on one machine use different directories.</summary>
public static class SocketDirectory
{
    public const string Default = "/var/run/appswitch";
    public const string EnvironmentVariable = "AX_SOCKET_DIR";
    /// <summary>The launcher endpoint (`ax run` talks to it).</summary>
    public const string LauncherSocketName = "ax.sock";
    /// <summary>The REST API on a Unix socket (the C# CLI talks to it).</summary>
    public const string ApiSocketName = "api.sock";

    public static string Resolve(string? flagValue) =>
        !string.IsNullOrEmpty(flagValue) ? flagValue
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env
        : Default;

    public static string LauncherSocket(string dir) => Path.Combine(dir, LauncherSocketName);
    public static string ApiSocket(string dir) => Path.Combine(dir, ApiSocketName);
}
