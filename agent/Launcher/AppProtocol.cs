namespace AppSwitch.Agent.Launcher;

/// <summary>`ax run --protocol`: the Amalgam8 endpoint type of an app's service instances.</summary>
public static class AppProtocol
{
    public const string Default = "tcp";
    public const string Choices = "tcp, udp, http or https";

    public static bool IsKnown(string? value) =>
        value is not null && (value.Equals("tcp", StringComparison.OrdinalIgnoreCase) || value.Equals("udp", StringComparison.OrdinalIgnoreCase)
                              || value.Equals("http", StringComparison.OrdinalIgnoreCase) || value.Equals("https", StringComparison.OrdinalIgnoreCase));
}
