using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>
/// The Amalgam8 view of the service table: every app started with `--name` is an instance of that service once it
/// serves; each of its servers (listening TCP socket or bound UDP socket) is one instance, its endpoint the server's
/// virtual ip:port, its tags the app's labels as `k=v` (`k` when the value is empty).
/// </summary>
internal static class ServiceCatalog
{
    public static List<ServiceInstanceRecord> Instances(IReadOnlyList<AppRecord> apps, IReadOnlyList<ServerRecord> servers)
    {
        var named = apps.Where(a => a.Name.Length > 0).ToDictionary(a => a.AppId);
        return servers
            .Where(s => named.ContainsKey(s.AppId))
            .Select(s => (Server: s, App: named[s.AppId]))
            .Select(x => new ServiceInstanceRecord
            {
                Id = $"{x.App.AppId}-{x.Server.Proto}-{Port(x.Server.ServiceAddr)}",
                ServiceName = x.App.Name,
                Endpoint = new ServiceEndpoint(x.Server.Proto == "udp" ? "udp" : x.App.Protocol, x.Server.ServiceAddr),
                Tags = TagsOf(x.App.Labels),
                NodeId = x.Server.NodeId,
                AppId = x.App.AppId,
            })
            .OrderBy(i => i.ServiceName, StringComparer.Ordinal).ThenBy(i => i.Id, StringComparer.Ordinal)
            .ToList();
    }

    private static List<string> TagsOf(IReadOnlyDictionary<string, string> labels) =>
        labels.Select(l => l.Value.Length == 0 ? l.Key : $"{l.Key}={l.Value}").Order(StringComparer.Ordinal).ToList();

    private static string Port(string endPoint) => endPoint[(endPoint.LastIndexOf(':') + 1)..];
}
