using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Interception;

/// <summary>Decides where a connect really goes: a virtual ip:port becomes one of its servers' node addresses.</summary>
internal sealed class ConnectTargetResolver(ServiceTable table)
{
    /// <summary>The node endpoint to connect to, or null with the errno to return (ECONNREFUSED: a virtual IP nobody serves).</summary>
    public IPEndPoint? Resolve(AppSession client, IPEndPoint destination, Transport transport, out int errno)
    {
        errno = 0;
        var address = ServiceTable.Normalize(destination.Address);
        var servers = table.ServersFor(address, destination.Port, transport);
        if (servers.Count > 0) return servers[servers.Count == 1 ? 0 : Random.Shared.Next(servers.Count)].Node;
        if (table.IsVirtual(address))
        {
            errno = Libc.ECONNREFUSED;
            return null;
        }
        return new IPEndPoint(address, destination.Port); // not virtual: the node's own network
    }
}
