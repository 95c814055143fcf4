using AppSwitch.Agent.Api;
using System.Net;
using System.Text;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using AppSwitch.Common.VServices;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>Vservice definitions: flag syntax, rules, the table's conflicts, the backend picker, replication and the state file.</summary>
public class VServiceTests
{
    private static readonly RemoteNodeRef NodeB = new("node-b", IPAddress.Parse("10.77.0.12"));
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));

    private static VServiceSpec Spec(string name = "web", string ip = "198.18.9.1", string lbType = "RoundRobin", params string[] backends) => new()
    {
        Name = name, Ip = ip, Backends = backends.Length > 0 ? [.. backends] : ["198.18.1.1", "198.18.1.2", "198.18.1.3"],
        Ports = [new VServicePort(8080, 80)], LbType = lbType,
    };

    private static VServiceEntry Entry(VServiceSpec spec, RemoteNodeRef? owner = null) =>
        VServiceEntry.FromSpec(spec, owner, out var error) ?? throw new Xunit.Sdk.XunitException(error);

    [Theory]
    [InlineData("8080:80", "8080:80")]
    [InlineData("80:80,443:8443", "80:80,443:8443")]
    public void PortListsParse(string text, string expected)
    {
        Assert.Null(VServiceSyntax.TryParsePorts(text, out var ports));
        Assert.Equal(expected, string.Join(",", ports));
    }

    [Theory]
    [InlineData("80")]
    [InlineData("80:")]
    [InlineData(":80")]
    [InlineData("0:80")]
    [InlineData("80:65536")]
    [InlineData("80:80:80")]
    [InlineData("+80:80")]
    [InlineData("80:80,80:81")]
    [InlineData("")]
    public void BadPortListsAreRefused(string text) => Assert.NotNull(VServiceSyntax.TryParsePorts(text, out _));

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4,")]
    [InlineData("01.2.3.4")]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    public void BadBackendListsAreRefused(string text) => Assert.NotNull(VServiceSyntax.TryParseBackends(text, out _));

    [Theory]
    [InlineData("roundrobin", "RoundRobin")]
    [InlineData("Random", "Random")]
    [InlineData("", "Random")]
    [InlineData("LeastConn", null)]
    public void LbTypesAreCaseInsensitive(string text, string? expected) => Assert.Equal(expected, VServiceSyntax.CanonicalLbType(text));

    [Fact]
    public void WholeDefinitionsAreChecked()
    {
        Assert.Null(VServiceSyntax.Check(Spec()));
        Assert.Contains("name", VServiceSyntax.Check(Spec(name: "a b")));
        Assert.Contains("own ip", VServiceSyntax.Check(Spec(backends: "198.18.9.1")));
        Assert.Contains("lbtype", VServiceSyntax.Check(Spec(lbType: "Sticky")));
        Assert.Contains("port", VServiceSyntax.Check(Spec() with { Ports = [] }));
        Assert.Contains("source-ip", VServiceSyntax.Check(Spec() with { SourceIp = "x" }));
        // `"ports":[null]` in a POST /api/v1/vservices body or a node's publication (a NullReferenceException before).
        Assert.Contains("port is null", VServiceSyntax.Check(Spec() with { Ports = [null!] }));
        Assert.Contains("backend is missing", VServiceSyntax.Check(Spec() with { Backends = [null!] }));
    }

    [Fact]
    public void RoundRobinRotatesExactlyAndRandomStaysWithinTolerance()
    {
        var picker = new BackendPicker();
        var roundRobin = Entry(Spec());
        var picks = Enumerable.Range(0, 30).Select(_ => picker.Pick(roundRobin).ToString()).ToList();
        for (var i = 0; i < picks.Count; i++) Assert.Equal(roundRobin.Backends[i % 3].ToString(), picks[i]);

        var random = Entry(Spec(name: "rnd", ip: "198.18.9.2", lbType: "Random"));
        var counts = Enumerable.Range(0, 3000).GroupBy(_ => picker.Pick(random)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 800, 1200));
    }

    [Fact]
    public void RoundRobinContinuesAcrossReplicaRefreshes()
    {
        var picker = new BackendPicker();
        var first = picker.Pick(Entry(Spec(), NodeB));
        var second = picker.Pick(Entry(Spec(), NodeB)); // the node published again: a new replica object
        Assert.Equal(("198.18.1.1", "198.18.1.2"), (first.ToString(), second.ToString()));
    }

    [Fact]
    public void NamesAndAddressesAreUniqueAcrossTheCluster()
    {
        Assert.True(_table.AddVService(Entry(Spec()), out _));
        Assert.False(_table.AddVService(Entry(Spec(ip: "198.18.9.9")), out var sameName));
        Assert.Contains("already exists", sameName);
        Assert.False(_table.AddVService(Entry(Spec(name: "other")), out var sameIp));
        Assert.Contains("vservice 'web'", sameIp);

        _table.AddApp(new AppEntry { Id = "a0000001", VirtualIp = IPAddress.Parse("198.18.0.1") });
        Assert.False(_table.AddVService(Entry(Spec(name: "app", ip: "198.18.0.1")), out var appIp));
        Assert.Contains("app", appIp);
        Assert.False(_table.AddVService(Entry(Spec(name: "node", ip: "10.77.0.11")), out var nodeIp));
        Assert.Contains("node address", nodeIp);

        _table.ReplaceRemote(NodeB, [], [], [Entry(Spec(name: "remote", ip: "198.18.9.5"), NodeB)]);
        Assert.False(_table.AddVService(Entry(Spec(name: "remote", ip: "198.18.9.6")), out var remoteName));
        Assert.Contains("node-b", remoteName);
        Assert.True(_table.IsVirtual(IPAddress.Parse("198.18.9.5")));
    }

    [Fact]
    public void OnlyTheOwnerDeletesAndADeadNodesVServicesGoAway()
    {
        _table.ReplaceRemote(NodeB, [], [], [Entry(Spec(), NodeB)]);
        Assert.Equal(VServiceRemoval.OwnedElsewhere, _table.RemoveVService("web", out var owner));
        Assert.Equal("node-b", owner);
        Assert.Equal(VServiceRemoval.NotFound, _table.RemoveVService("nope", out _));
        Assert.NotNull(_table.FindVService(IPAddress.Parse("198.18.9.1")));

        _table.RemoveRemote(NodeB.Name);
        Assert.Null(_table.FindVService(IPAddress.Parse("198.18.9.1")));
        Assert.Empty(_table.VServiceRecords());
    }

    [Fact]
    public void VServicesTravelWithTheNodesPublication()
    {
        var bytes = NodeStateCodec.Encode([], [], [Entry(Spec() with { External = true, SourceIp = "10.77.0.12" })]);
        NodeStateCodec.Decode(bytes, NodeB, out var vservices);
        var vservice = Assert.Single(vservices);
        Assert.Equal(("web", "198.18.9.1", LbType.RoundRobin, true, "10.77.0.12", 80, NodeB),
            (vservice.Name, vservice.VirtualIp.ToString(), vservice.LbType, vservice.External, vservice.SourceIp?.ToString(), vservice.Ports[8080],
                vservice.RemoteNode));
    }

    [Fact]
    public void PublicationsWithoutVServicesStillDecode()
    {
        var older = Encoding.UTF8.GetBytes("""{"v":1,"apps":[],"servers":[]}""");
        NodeStateCodec.Decode(older, NodeB, out var vservices);
        Assert.Empty(vservices);
        var bad = Encoding.UTF8.GetBytes("""{"v":1,"vServices":[{"name":"x","ip":"nope"}]}""");
        Assert.Throws<FormatException>(() => NodeStateCodec.Decode(bad, NodeB, out _));
    }

    [Fact]
    public void TheStateFileKeepsVServicesAndOldFilesLoad()
    {
        var dir = Directory.CreateTempSubdirectory("ax-vs-");
        try
        {
            var file = new StateFile(dir.FullName);
            File.WriteAllText(file.Path, """{"version":1,"apps":[],"sockets":[]}""");
            Assert.Null(file.Load()!.VServices);

            _table.AddVService(Entry(Spec()), out _);
            file.Save(_table, new AppSwitch.Agent.Rules.RuleBook("node-a", _ => { }));
            var saved = Assert.Single(file.Load()!.VServices!);
            Assert.Equal(Spec().Name, saved.Name);
            Assert.NotNull(VServiceEntry.FromSpec(saved, null, out _));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
