using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>What the table holds of another node: its own apps, servers and vservices as it published them.</summary>
public sealed record NodeReplica(string Name, IPAddress Address, IReadOnlyList<AppEntry> Apps, IReadOnlyList<ServerEntry> Servers,
    IReadOnlyList<VServiceEntry> VServices);
