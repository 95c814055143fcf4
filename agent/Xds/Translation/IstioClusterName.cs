namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// Istio's cluster name `direction|port|subset|host` (e.g. `outbound|9080|v2|reviews.default.svc.cluster.local`;
/// the subset is empty for the service's default cluster).
/// </summary>
public sealed record IstioClusterName(string Direction, int Port, string Subset, string Host)
{
    public static bool TryParse(string name, out IstioClusterName parsed)
    {
        parsed = null!;
        var parts = name.Split('|');
        if (parts.Length != 4 || parts[0] is not ("outbound" or "inbound")) return false;
        if (!int.TryParse(parts[1], out var port) || port is < 1 or > 65535) return false;
        parsed = new IstioClusterName(parts[0], port, parts[2], parts[3]);
        return true;
    }

    public override string ToString() => $"{Direction}|{Port}|{Subset}|{Host}";
}
