using System.Collections;
using System.Net;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit.Table;

/// <summary>
/// A vservice add is refused for each kind of conflict (name or IP taken anywhere in the cluster), a conflict ends
/// with what caused it, and an add looks up what it needs instead of reading every replica (N adds while another
/// node holds M vservices were O(N·M)).
/// </summary>
public sealed class VServiceConflictTests
{
    private static readonly RemoteNodeRef NodeB = new("node-b", IPAddress.Parse("10.77.0.12"));
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));

    [Fact]
    public void A_name_taken_here_or_on_another_node_is_refused_with_who_holds_it()
    {
        Assert.Null(Add("web", "198.18.9.1"));
        Assert.Equal("vservice 'web' already exists", Add("web", "198.18.9.2"));
        Replicate(vservices: [VService("db", "198.18.9.3", NodeB)]);
        Assert.Equal("vservice 'db' already exists (on node node-b)", Add("db", "198.18.9.4"));
        Assert.Equal(VServiceRemoval.OwnedElsewhere, _table.RemoveVService("db", out var owner));
        Assert.Equal("node-b", owner);
    }

    [Fact]
    public void An_ip_of_a_vservice_here_or_on_another_node_is_refused()
    {
        Assert.Null(Add("web", "198.18.9.1"));
        Assert.Equal("ip 198.18.9.1 is already used by vservice 'web'", Add("other", "198.18.9.1"));
        Replicate(vservices: [VService("db", "198.18.9.3", NodeB)]);
        Assert.Equal("ip 198.18.9.3 is already used by vservice 'db'", Add("other", "198.18.9.3"));
    }

    [Fact]
    public void An_apps_virtual_ip_or_a_servers_address_here_or_on_another_node_is_refused()
    {
        var app = new AppEntry { Id = "a1", VirtualIp = IPAddress.Parse("198.18.0.1") };
        _table.AddApp(app);
        _table.AddServer(Server(app, "198.18.0.2", 1));
        var remoteApp = new AppEntry { Id = "b1", VirtualIp = IPAddress.Parse("198.18.0.3"), RemoteNode = NodeB };
        Replicate(apps: [remoteApp], servers: [Server(remoteApp, "198.18.0.4", 2)]);

        foreach (var ip in new[] { "198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4" })
            Assert.Equal($"ip {ip} is already used by an app", Add("x", ip));
    }

    [Fact]
    public void This_nodes_and_another_nodes_address_are_refused()
    {
        Replicate();
        Assert.Equal("ip 10.77.0.11 is a node address", Add("x", "10.77.0.11"));
        Assert.Equal("ip 10.77.0.12 is a node address", Add("x", "10.77.0.12"));
    }

    [Fact]
    public void Each_conflict_ends_with_what_caused_it()
    {
        var app = new AppEntry { Id = "a1", VirtualIp = IPAddress.Parse("198.18.0.1") };
        _table.AddApp(app);
        _table.AddServer(Server(app, "198.18.0.2", 1));
        Replicate(vservices: [VService("db", "198.18.9.3", NodeB), VService("db2", "198.18.9.4", NodeB)]);
        Assert.NotNull(Add("db", "198.18.9.9"));

        Replicate(vservices: [VService("db2", "198.18.9.4", NodeB)]); // node-b's newer publication without db
        Assert.Null(Add("db", "198.18.9.3"));
        Assert.Equal("vservice 'db2' already exists (on node node-b)", Add("db2", "198.18.9.5"));
        _table.RemoveServer(1);
        Assert.Null(Add("s", "198.18.0.2"));
        _table.RemoveApp("a1");
        Assert.Null(Add("a", "198.18.0.1"));
        _table.RemoveRemote(NodeB.Name);
        Assert.Null(Add("db2", "198.18.9.4"));
        Assert.Null(Add("n", "10.77.0.12"));
    }

    [Fact]
    public void Adding_vservices_reads_no_replica_list()
    {
        var replicas = new CountingList<VServiceEntry>([.. Enumerable.Range(0, 500).Select(i => VService($"r{i}", $"198.19.0.{i % 250}", NodeB))]);
        Replicate(vservices: replicas);
        var readsAfterReplicating = replicas.Reads;

        for (var i = 0; i < 100; i++) Assert.Null(Add($"own{i}", $"198.18.10.{i}"));
        Assert.Equal("vservice 'r7' already exists (on node node-b)", Add("r7", "198.18.11.1"));
        Assert.Equal(VServiceRemoval.OwnedElsewhere, _table.RemoveVService("r9", out _));
        Assert.Equal(readsAfterReplicating, replicas.Reads);
    }

    private string? Add(string name, string ip)
    {
        _table.AddVService(VService(name, ip, owner: null), out var conflict);
        return conflict;
    }

    private void Replicate(IReadOnlyList<AppEntry>? apps = null, IReadOnlyList<ServerEntry>? servers = null,
        IReadOnlyList<VServiceEntry>? vservices = null) =>
        _table.ReplaceRemote(NodeB, apps ?? [], servers ?? [], vservices ?? []);

    private static VServiceEntry VService(string name, string ip, RemoteNodeRef? owner) =>
        VServiceEntry.FromSpec(new VServiceSpec { Name = name, Ip = ip, Backends = ["198.18.1.1"], Ports = [new(80, 8080)] }, owner, out var error)
        ?? throw new Xunit.Sdk.XunitException(error);

    private static ServerEntry Server(AppEntry app, string ip, ulong inode) => new()
    {
        App = app, Transport = Transport.Tcp, Inode = inode, Virtual = new IPEndPoint(IPAddress.Parse(ip), 80),
        Node = new IPEndPoint(IPAddress.Parse(app.RemoteNode is null ? "10.77.0.11" : "10.77.0.12"), 40000 + (int)inode),
    };

    /// <summary>A replica list that counts how often it is read (enumerated or indexed).</summary>
    private sealed class CountingList<T>(List<T> items) : IReadOnlyList<T>
    {
        public int Reads { get; private set; }
        public int Count => items.Count;

        public T this[int index]
        {
            get
            {
                Reads++;
                return items[index];
            }
        }

        public IEnumerator<T> GetEnumerator()
        {
            Reads++;
            return items.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
