namespace AppSwitch.Common.Paths;

/// <summary>
/// Where an agent serves its admin API (api.sock) and keeps its state: a directory only the node (root and the
/// socket group) sees. Pods mount the socket directory to reach ax.sock, never this one.
/// </summary>
public static class AdminSocketDirectory
{
    public const string Default = "/run/appswitch-admin";
    public const string EnvironmentVariable = "AX_ADMIN_SOCKET_DIR";
    /// <summary>The REST API on a Unix socket (the C# CLI talks to it).</summary>
    public const string ApiSocketName = "api.sock";

    public static string ApiSocket(string dir) => Path.Combine(dir, ApiSocketName);
}
