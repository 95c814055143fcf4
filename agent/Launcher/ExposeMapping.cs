using System.Net;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Launcher;

/// <summary>
/// One `--expose` mapping: the app's port, where on the node it is exposed (null: this node's address;
/// 0.0.0.0: every interface of this node), and the host port.
/// </summary>
public sealed record ExposeMapping(int AppPort, IPAddress? HostAddress, int HostPort)
{
    public const string Syntax = "PORT:HOSTPORT, PORT:NODEIP:HOSTPORT or PORT:0.0.0.0:HOSTPORT";

    /// <summary>Parses a comma-separated list; the reason names the bad part.</summary>
    public static bool TryParseList(string text, out IReadOnlyList<ExposeMapping> mappings, out string reason)
    {
        var list = new List<ExposeMapping>();
        mappings = list;
        reason = "";
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var fields = part.Split(':');
            IPAddress? host = null;
            if (fields.Length == 3 && !Ipv4Literal.TryParse(fields[1], out host))
            {
                reason = $"'{fields[1]}' in '{part}' is not an IPv4 address";
                return false;
            }
            if (fields.Length is not (2 or 3) || !Port(fields[0], out var appPort) || !Port(fields[^1], out var hostPort))
            {
                reason = $"'{part}' is not {Syntax} (ports 1-65535)";
                return false;
            }
            if (list.Any(m => m.AppPort == appPort))
            {
                reason = $"port {appPort} is exposed twice";
                return false;
            }
            list.Add(new ExposeMapping(appPort, host, hostPort));
        }
        return true;
    }

    /// <summary>The app's own node (at <paramref name="ownNode"/>) binds the app socket at the host port itself.</summary>
    public bool BindsOnOwnNode(IPAddress ownNode) => HostAddress is null || IPAddress.Any.Equals(HostAddress) || HostAddress.Equals(ownNode);

    /// <summary>Another node (at <paramref name="otherNode"/>) relays the host port to the app.</summary>
    public bool RelaysOn(IPAddress otherNode) => HostAddress is not null && (IPAddress.Any.Equals(HostAddress) || HostAddress.Equals(otherNode));

    private static bool Port(string text, out int port) => int.TryParse(text, out port) && port is > 0 and < 65536;

    public override string ToString() => HostAddress is null ? $"{AppPort}:{HostPort}" : $"{AppPort}:{HostAddress}:{HostPort}";
}
