namespace AppSwitch.Tests.Infrastructure;

/// <summary>Virtual IPs the tests give apps (from 198.18.0.0/15, never routed anywhere).</summary>
public static class VirtualIps
{
    public const string Server = "198.18.0.1";
    public const string Client = "198.18.0.2";
    public const string Other = "198.18.0.3";
}
