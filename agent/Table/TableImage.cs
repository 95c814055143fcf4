using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>
/// A consistent copy of the entries routing decisions read, taken under the table's lock in one go: every node's
/// apps, servers and vservices (this node's first, then the replicas) and the other nodes' addresses.
/// The entries themselves are immutable; only the lists are copied.
/// </summary>
public sealed record TableImage(
    NodeIdentity Node,
    IReadOnlyList<AppEntry> Apps,
    IReadOnlyList<ServerEntry> Servers,
    IReadOnlyList<VServiceEntry> VServices,
    IReadOnlyList<(string Name, IPAddress Address)> RemoteNodes);
