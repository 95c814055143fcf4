using System.Net;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Xds;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// The agent's ADS client against the stand-in Pilot over real gRPC (h2c on loopback): subscriptions in Istio's
/// order, ACK/NACK with version and nonce, a bad resource refused while the rest applies, and the last good config
/// kept while the server is away, then resubscription with the versions held.
/// </summary>
public sealed class AdsClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly IPEndPoint V1 = IPEndPoint.Parse("198.18.0.11:9080");
    private static readonly IPEndPoint V2 = IPEndPoint.Parse("198.18.0.12:9080");

    private StandInPilot _pilot = null!;
    private readonly XdsRegistry _registry = new();
    private AdsClient _client = null!;

    public async Task InitializeAsync()
    {
        _pilot = await StandInPilot.StartAsync();
        _pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", 9080), EdsCluster("reviews", 9080, "v1"), EdsCluster("reviews", 9080, "v2"));
        _pilot.Set(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", 9080), V1, V2),
            Assignment(ClusterName("reviews", 9080, "v1"), V1), Assignment(ClusterName("reviews", 9080, "v2"), V2));
        _pilot.Set(XdsTypeUrls.Listener, ApiListener("reviews", 9080));
        _pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", 9080, Weighted("reviews", 9080, ("v1", 80), ("v2", 20))));
        _client = new AdsClient(new XdsSettings { Address = _pilot.Address }, "node-a", IPAddress.Parse("10.0.0.5"), _registry,
            NullLogger<AdsClient>.Instance, new XdsBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));
        await _client.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _client.StopAsync(CancellationToken.None);
        _client.Dispose();
        await _pilot.DisposeAsync();
    }

    [Fact]
    public async Task SubscribesClustersThenEndpointsListenersThenRoutesAndAcksEachVersion()
    {
        await Eventually.UntilAsync(() => AckedAll(), Wait, "every type ACKed");

        var requests = _pilot.Requests;
        var first = requests[0];
        Assert.Equal(("Cluster", "sidecar~10.0.0.5~node-a.default~default.svc.cluster.local", "grpc"),
            (first.Type, first.Request.Node.Id, first.Request.Node.Metadata.Fields["GENERATOR"].StringValue));
        Assert.Equal("Kubernetes", first.ClusterId);
        Assert.Null(first.Authorization); // plaintext: the token is never sent
        var eds = requests.First(r => r.Type == "ClusterLoadAssignment" && r.Request.ResourceNames.Count > 0);
        Assert.Equal(new[] { ClusterName("reviews", 9080), ClusterName("reviews", 9080, "v1"), ClusterName("reviews", 9080, "v2") }.Order(StringComparer.Ordinal),
            eds.Request.ResourceNames.Order(StringComparer.Ordinal)); // CDS → EDS for every cluster accepted
        var rds = requests.First(r => r.Type == "RouteConfiguration" && r.Request.ResourceNames.Count > 0);
        Assert.Equal([RouteConfigName("reviews", 9080)], rds.Request.ResourceNames);
        foreach (var ack in requests.Where(r => r.Kind == RequestKind.Ack))
            Assert.StartsWith(ack.Request.VersionInfo + "-", ack.Request.ResponseNonce); // the version of the response it acknowledges

        var service = _registry.Config.View.Services[$"{Host("reviews")}:9080"];
        Assert.Equal([(V1, "v1"), (V2, "v2")], service.Instances.Select(i => (i.Endpoint, string.Join(",", i.Tags))).ToList());
        var rule = Assert.Single(_registry.Config.Rules);
        Assert.Equal(("reviews", 0.8, 0.2), (rule.Destination, rule.Route!.Backends[0].Weight!.Value, rule.Route.Backends[1].Weight!.Value));
        var status = _registry.Status;
        Assert.Equal(("connected", _pilot.Address), (status.State, status.Server));
        Assert.Equal(_pilot.VersionOf(XdsTypeUrls.Route), status.Types.Single(t => t.Type == "RouteConfiguration").AckedVersion);
    }

    [Fact]
    public async Task ABadResourceIsNackedWithItsReasonAndTheRestApplies()
    {
        await Eventually.UntilAsync(() => AckedAll(), Wait, "every type ACKed");
        var goodVersion = _pilot.VersionOf(XdsTypeUrls.Cluster);
        var hashed = EdsCluster("ratings", 9080);
        hashed.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash;
        _pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", 9080), EdsCluster("reviews", 9080, "v1"), EdsCluster("reviews", 9080, "v2"),
            hashed, EdsCluster("details", 9080));
        _pilot.Upsert(XdsTypeUrls.Endpoint, Assignment(ClusterName("details", 9080), IPEndPoint.Parse("198.18.0.21:9080")));

        var nack = await Eventually.UntilAsync(() => _pilot.Requests.Any(r => r.Kind == RequestKind.Nack), Wait, "a NACK")
            .ContinueWith(_ => _pilot.Requests.Single(r => r.Kind == RequestKind.Nack));
        Assert.Equal("Cluster", nack.Type);
        Assert.Equal(goodVersion, nack.Request.VersionInfo); // the last accepted version, not the refused one
        Assert.StartsWith(_pilot.VersionOf(XdsTypeUrls.Cluster) + "-", nack.Request.ResponseNonce);
        Assert.Equal($"{ClusterName("ratings", 9080)}: load-balancing policy RingHash is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)",
            nack.Request.ErrorDetail.Message);
        await Eventually.UntilAsync(() => _registry.Config.View.Services.ContainsKey($"{Host("details")}:9080"), Wait, "details applied despite the NACK");
        Assert.False(_registry.Config.View.Services.ContainsKey($"{Host("ratings")}:9080"));
        var refused = Assert.Single(_registry.Status.Refused);
        Assert.Equal(("Cluster", ClusterName("ratings", 9080)), (refused.Type, refused.Name));
    }

    [Fact]
    public async Task WhileTheServerIsAwayTheLastConfigStaysAndAReturnResubscribesWithTheVersionsHeld()
    {
        await Eventually.UntilAsync(() => AckedAll(), Wait, "every type ACKed");
        var held = _registry.Config;
        var routeVersion = _pilot.VersionOf(XdsTypeUrls.Route);

        await _pilot.StopAsync();
        await Eventually.UntilAsync(() => _registry.Status.State == "backoff", Wait, "the client notices istiod is gone");
        Assert.Same(held, _registry.Config);
        Assert.NotNull(_registry.Status.LastError);

        var before = _pilot.Requests.Count;
        await _pilot.RestartAsync();
        await Eventually.UntilAsync(() => _registry.Status.State == "connected", Wait, "reconnected");
        var resubscribe = _pilot.Requests.Skip(before).First(r => r.Type == "RouteConfiguration");
        Assert.Equal((routeVersion, ""), (resubscribe.Request.VersionInfo, resubscribe.Request.ResponseNonce));
        Assert.Equal([RouteConfigName("reviews", 9080)], resubscribe.Request.ResourceNames);

        _pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", 9080, Weighted("reviews", 9080, ("v1", 50), ("v2", 50))));
        await Eventually.UntilAsync(() => _registry.Config.Rules is [{ Route.Backends: [{ Weight: 0.5 }, _] }], Wait, "a push after the restart applies");
    }

    private bool AckedAll() =>
        _registry.Status.Types.Count == 4 && _registry.Status.Types.All(t => t.AckedVersion is not null && t.Resources > 0);
}
