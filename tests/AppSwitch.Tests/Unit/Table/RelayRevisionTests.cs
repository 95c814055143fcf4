using System.Net;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit.Table;

/// <summary>
/// The relay manager plans again only when <see cref="ServiceTable.RelayRevision"/> moves: it must move for every
/// change of what a plan reads (apps exposing a port, external vservices, of any node) and for nothing else (a plan
/// reads every vservice of the cluster: planning at every revision made N adds next to M replicas O(N·M)).
/// </summary>
public sealed class RelayRevisionTests
{
    private static readonly RemoteNodeRef NodeB = new("node-b", IPAddress.Parse("10.77.0.12"));
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));

    [Fact]
    public void Plain_vservices_and_apps_leave_it_alone()
    {
        var before = _table.RelayRevision;
        Assert.True(_table.AddVService(VService("web", "198.18.9.1", external: false, owner: null), out _));
        _table.AddApp(App("a1", expose: null));
        _table.ReplaceRemote(NodeB, [App("b1", expose: null, NodeB)], [], [VService("db", "198.18.9.2", external: false, NodeB)]);
        _table.RemoveVService("web", out _);
        _table.RemoveApp("a1");
        _table.RemoveRemote(NodeB.Name);
        Assert.Equal(before, _table.RelayRevision);
    }

    [Fact]
    public void External_vservices_and_exposing_apps_of_any_node_move_it()
    {
        var seen = new List<long> { _table.RelayRevision };
        void Moved(Action change)
        {
            change();
            Assert.DoesNotContain(_table.RelayRevision, seen);
            seen.Add(_table.RelayRevision);
        }

        Moved(() => _table.AddVService(VService("ext", "198.18.9.1", external: true, owner: null), out _));
        Moved(() => _table.RemoveVService("ext", out _));
        Moved(() => _table.AddApp(App("a1", expose: "8080:0.0.0.0:18080")));
        Moved(() => _table.AddApp(App("a1", expose: null))); // the same app without its mapping
        Moved(() => _table.ReplaceRemote(NodeB, [App("b1", expose: "8080:0.0.0.0:18080", NodeB)], []));
        Moved(() => _table.ReplaceRemote(NodeB, [App("b1", expose: null, NodeB)], [])); // node-b's mapping gone
        Moved(() => _table.ReplaceRemote(NodeB, [], [], [VService("db", "198.18.9.2", external: true, NodeB)]));
        Moved(() => _table.RemoveRemote(NodeB.Name));
    }

    private static AppEntry App(string id, string? expose, RemoteNodeRef? node = null) => new()
    {
        Id = id, VirtualIp = IPAddress.Parse("198.18.0.1"), RemoteNode = node,
        Expose = expose is null ? [] : ExposeMapping.TryParseList(expose, out var mappings, out var reason) ? mappings
            : throw new Xunit.Sdk.XunitException(reason),
    };

    private static VServiceEntry VService(string name, string ip, bool external, RemoteNodeRef? owner) =>
        VServiceEntry.FromSpec(new VServiceSpec
        {
            Name = name, Ip = ip, Backends = external ? ["10.99.0.1"] : ["198.18.1.1"], Ports = [new(80, 8080)], External = external,
        }, owner, out var error) ?? throw new Xunit.Sdk.XunitException(error);
}
