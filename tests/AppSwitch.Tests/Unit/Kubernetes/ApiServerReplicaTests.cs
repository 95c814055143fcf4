using System.Net;
using AppSwitch.Agent.Api;
using System.Text.Json;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.Kubernetes.Replication;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Tests.Infrastructure;
using k8s.Models;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>
/// --replication kube, the reader's decisions: which nodes' AppSwitchNode objects the table holds, given the objects and
/// the Leases as listed (real ServiceTable and RuleBook, real publications from NodeStateCodec).
/// </summary>
public sealed class ApiServerReplicaTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private readonly ServiceTable _table = new(new NodeIdentity("n1", "appswitch", IPAddress.Parse("198.18.1.1")));
    private readonly RecordingLogger<ApiServerReplica> _log = new();
    private readonly ApiServerReplica _replica;

    public ApiServerReplicaTests() => _replica = new ApiServerReplica("n1", _table, new RuleBook("n1", _ => { }), _log);

    [Fact]
    public void A_node_s_server_is_held_while_its_lease_is_renewed_and_dropped_as_dead_once_it_expires()
    {
        var died = new List<string>();
        _table.RemoteNodeDied += node => died.Add(node.Name);
        AppSwitchNode[] objects = [Node("n2", "n2", "198.18.1.2", "198.18.5.2", "1")];

        _replica.Reconcile(objects, [LeaseOf("n2", "t1")], TimeSpan.Zero);
        Assert.Equal(["n2 198.18.5.2:80"], Servers());

        // Renewed at 8 s: still there at 15 s (10 s after the renewal would be 18 s).
        _replica.Reconcile(objects, [LeaseOf("n2", "t2")], TimeSpan.FromSeconds(8));
        _replica.Reconcile(objects, [LeaseOf("n2", "t2")], TimeSpan.FromSeconds(15));
        Assert.Equal(["n2 198.18.5.2:80"], Servers());

        _replica.Reconcile(objects, [LeaseOf("n2", "t2")], TimeSpan.FromSeconds(18));
        Assert.Empty(Servers());
        Assert.Equal(["n2"], died);

        // The agent is back: its next renewal brings the entries back.
        _replica.Reconcile(objects, [LeaseOf("n2", "t3")], TimeSpan.FromSeconds(20));
        Assert.Equal(["n2 198.18.5.2:80"], Servers());
    }

    [Fact]
    public void A_released_lease_or_a_deleted_object_drops_the_node_at_once_and_not_as_dead()
    {
        var died = new List<string>();
        _table.RemoteNodeDied += node => died.Add(node.Name);
        AppSwitchNode[] objects = [Node("n2", "n2", "198.18.1.2", "198.18.5.2", "1"), Node("n3", "n3", "198.18.1.3", "198.18.5.3", "1")];
        _replica.Reconcile(objects, [LeaseOf("n2", "t1"), LeaseOf("n3", "t1")], TimeSpan.Zero);
        Assert.Equal(["n2 198.18.5.2:80", "n3 198.18.5.3:80"], Servers());

        _replica.Reconcile(objects, [LeaseOf("n3", "t1")], TimeSpan.FromSeconds(1));
        Assert.Equal(["n3 198.18.5.3:80"], Servers());
        _replica.Reconcile([objects[0]], [LeaseOf("n3", "t1")], TimeSpan.FromSeconds(2)); // n3's object deleted
        Assert.Empty(Servers());
        Assert.Empty(died);
    }

    [Fact]
    public void A_changed_object_replaces_the_node_s_entries()
    {
        _replica.Reconcile([Node("n2", "n2", "198.18.1.2", "198.18.5.2", "1")], [LeaseOf("n2", "t1")], TimeSpan.Zero);
        _replica.Reconcile([Node("n2", "n2", "198.18.1.2", "198.18.5.9", "2")], [LeaseOf("n2", "t1")], TimeSpan.FromSeconds(1));
        Assert.Equal(["n2 198.18.5.9:80"], Servers());
        Assert.Equal("2", _replica.Applied["n2"]);
    }

    [Fact]
    public void An_object_claiming_another_node_its_own_node_s_object_and_a_node_without_a_lease_are_not_applied()
    {
        _replica.Reconcile([Node("n2", "n2", "198.18.1.2", "198.18.5.2", "1")], [LeaseOf("n2", "t1")], TimeSpan.Zero);
        AppSwitchNode[] objects =
        [
            Node("n2", "n3", "198.18.1.2", "198.18.5.2", "2"), // n2's object rewritten to claim n3: refused, n2's old entries go too
            Node("n1", "n1", "198.18.1.9", "198.18.5.1", "1"), // this node's own name
            Node("n4", "n4", "198.18.1.4", "198.18.5.4", "1"), // no Lease at all
        ];
        var foreignHolder = LeaseOf("n4", "t1");
        foreignHolder.Spec.HolderIdentity = "n2"; // a Lease named for n4 held by another node does not count

        _replica.Reconcile(objects, [LeaseOf("n2", "t1"), LeaseOf("n1", "t1"), foreignHolder], TimeSpan.FromSeconds(1));

        Assert.Empty(Servers());
        var refusal = Assert.Single(_log.Lines, l => l.Contains("Ignoring AppSwitchNode n2"));
        Assert.Contains("it claims node 'n3'", refusal);
        // Logged once per object version, not at every reconcile.
        _replica.Reconcile(objects, [LeaseOf("n2", "t1"), LeaseOf("n1", "t1"), foreignHolder], TimeSpan.FromSeconds(2));
        Assert.Single(_log.Lines, l => l.Contains("Ignoring AppSwitchNode n2"));
    }

    private List<string> Servers() =>
        [.. _table.ServerRecords().Select(s => $"{s.NodeId} {s.ServiceAddr}").Order(StringComparer.Ordinal)];

    private static AppSwitchNode Node(string name, string claimed, string address, string vip, string version)
    {
        var app = new AppEntry { Id = $"{claimed}-app", Name = "web", VirtualIp = IPAddress.Parse(vip), Pid = 42 };
        var server = new ServerEntry
        {
            App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(app.VirtualIp, 80), Node = new IPEndPoint(IPAddress.Parse(address), 40001), Inode = 7,
        };
        using var state = JsonDocument.Parse(NodeStateCodec.Encode([app], [server]));
        return new AppSwitchNode
        {
            Metadata = new V1ObjectMeta { Name = name, ResourceVersion = version },
            Spec = new AppSwitchNodeSpec { Node = claimed, Address = address, State = state.RootElement.Clone() },
        };
    }

    private static V1Lease LeaseOf(string node, string renewal) => new()
    {
        Metadata = new V1ObjectMeta { Name = NodeLeaseKeeper.LeaseName(node), NamespaceProperty = "kube-system", ResourceVersion = renewal },
        Spec = new V1LeaseSpec { HolderIdentity = node, LeaseDurationSeconds = (int)Lease.TotalSeconds },
    };
}
