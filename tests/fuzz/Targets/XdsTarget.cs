using AppSwitch.Agent.Xds.Client;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace AppSwitch.Fuzz.Targets;

/// <summary>An xDS DiscoveryResponse as Pilot sends it on the ADS stream: protobuf decoding, then
/// <see cref="XdsConfigStore.Apply"/> (translation of every resource, refusals) and the registry view.</summary>
internal sealed class XdsTarget : IFuzzTarget
{
    public string Name => "xds";

    public IEnumerable<byte[]> Seeds()
    {
        const string name = "outbound|8080|v2|helloworld.default.svc.cluster.local";
        var cluster = new Cluster { Name = name, Type = Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new() { ServiceName = name } };
        var assignment = new ClusterLoadAssignment { ClusterName = name };
        assignment.Endpoints.Add(new LocalityLbEndpoints
        {
            LbEndpoints =
            {
                new LbEndpoint { Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = "10.244.1.5", PortValue = 8080 } } } },
            },
        });
        var listener = new Listener { Name = "0.0.0.0_8080" };
        var routes = new RouteConfiguration { Name = "8080" };
        var host = new VirtualHost { Name = "helloworld", Domains = { "helloworld", "helloworld.default.svc.cluster.local" } };
        host.Routes.Add(new Route
        {
            Match = new RouteMatch { Prefix = "/" },
            Route_ = new RouteAction { WeightedClusters = new WeightedCluster { Clusters = { new WeightedCluster.Types.ClusterWeight { Name = name, Weight = 100 } } } },
        });
        routes.VirtualHosts.Add(host);
        yield return Response(XdsTypeUrls.Cluster, cluster);
        yield return Response(XdsTypeUrls.Endpoint, assignment);
        yield return Response(XdsTypeUrls.Listener, listener);
        yield return Response(XdsTypeUrls.Route, routes);
    }

    private static byte[] Response(string typeUrl, IMessage resource)
    {
        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = "2026-12-02T10:00:00Z/7", Nonce = "n1" };
        response.Resources.Add(Any.Pack(resource));
        return response.ToByteArray();
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        DiscoveryResponse response;
        try { response = DiscoveryResponse.Parser.ParseFrom(input); }
        // gRPC's deserializer turns whatever the parser throws into RpcException (Internal): the stream fails and the
        // client reconnects. Google.Protobuf throws InvalidOperationException too (a wrapper longer than its message).
        catch (Exception e) when (e is InvalidProtocolBufferException || e.Source == "Google.Protobuf") { return; }
        var store = new XdsConfigStore();
        store.Apply(response);
        store.View();
    }
}
