using System.Net;
using AppSwitch.Agent.Api;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using AppSwitch.Common.Rules;

namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// A member's state blob after decryption (what StateNotice, StateResponse and push/pull carry): decoded by
/// <see cref="NodeStateCodec.Decode(ReadOnlySpan{byte}, RemoteNodeRef, out IReadOnlyList{VServiceEntry}, out IReadOnlyList{Rule})"/>
/// and applied to a table and a rule book as ClusterReplicator.Apply does. The envelope and the message around
/// the blob are the gossip-packet and gossip-message targets.
/// </summary>
internal sealed class GossipStateTarget : IFuzzTarget
{
    private static readonly RemoteNodeRef From = new("node-b", IPAddress.Parse("10.77.0.12"));

    public string Name => "gossip-state";

    public IEnumerable<byte[]> Seeds()
    {
        var app = new AppEntry
        {
            Id = "b0000001", Name = "web", VirtualIp = IPAddress.Parse("198.18.0.1"), Labels = new Dictionary<string, string> { ["version"] = "v2" },
            Pid = 4242, Command = ["nginx", "-g", "daemon off;"], Protocol = "http",
            Expose = ExposeMapping.TryParseList("8080:0.0.0.0:80", out var expose, out _) ? expose : [],
        };
        var servers = new[]
        {
            new ServerEntry { App = app, Transport = Transport.Tcp, Virtual = IPEndPoint.Parse("198.18.0.1:80"), Node = IPEndPoint.Parse("10.77.0.12:40001"), Inode = 77 },
            new ServerEntry { App = app, Transport = Transport.Udp, Virtual = IPEndPoint.Parse("[fd00::1]:53"), Node = IPEndPoint.Parse("[fd00::12]:40002"), Inode = 78 },
        };
        var vservice = VServiceEntry.FromSpec(new VServiceSpec { Name = "front", Ip = "198.18.9.1", Backends = ["198.18.0.1"], Ports = [new(80, 80)], LbType = "RoundRobin" }, null, out _)!;
        var rules = RuleReader.Read("""
            rules:
            - {id: split, destination: web, route: {backends: [{tags: [version=v2], weight: 0.25}, {tags: [version=v1]}]}}
            """, out _);
        yield return NodeStateCodec.Encode([app], servers, [vservice], rules, egress: "deny except 10.0.0.0/8:443");
        yield return NodeStateCodec.Encode([app], servers);
        yield return NodeStateCodec.Encode([], []);
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            var (apps, servers) = NodeStateCodec.Decode(input, From, out var vservices, out var rules);
            var table = new ServiceTable(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));
            table.ReplaceRemote(From, apps, servers, vservices);
            new RuleBook("node-a", _ => { }).ReplaceRemote(From.Name, rules);
            // What routing reads of the replica: every server's lookups, the records `ax get` shows.
            foreach (var server in servers) table.ServersFor(server.Virtual.Address, server.Virtual.Port, server.Transport);
            _ = table.ServerRecords().Count + table.AppRecords().Count + table.VServiceRecords().Count;
        }
        catch (FormatException) { } // ClusterReplicator logs it and ignores that state
    }
}
