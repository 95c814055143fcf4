using AppSwitch.Agent.Xds.Client;
using AppSwitch.Agent.Xds.Translation;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Istio-shaped resources the other tests do not use, through the same store the ADS client feeds: the parts istiod
/// sends that our trimmed protos do not declare (circuit breakers, protocol options, listener and HCM fields, unknown
/// HTTP filters, decorators, stream durations, locality metadata) are carried as unknown fields and ignored where they
/// change nothing we do; route parts we would silently drop (header rewriting, hashing, other filters' per-route
/// config) refuse that route configuration with a reason while the rest of the response applies.
/// </summary>
public sealed class IstioShapedResourcesTests
{
    private const int Port = 9080;

    /// <summary><paramref name="message"/> as istiod would send it with fields our protos do not declare (length-delimited).</summary>
    private static T WithUndeclared<T>(T message, params int[] fields) where T : IMessage<T>, new()
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        message.WriteTo(output);
        var filler = new Struct { Fields = { ["from"] = Value.ForString("istiod"), ["n"] = Value.ForNumber(3) } }.ToByteString();
        foreach (var field in fields)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(filler);
        }
        output.Flush();
        return new MessageParser<T>(() => new T()).ParseFrom(buffer.ToArray());
    }

    [Fact]
    public void Clusters_endpoints_and_listeners_with_istio_extras_are_accepted_and_the_extras_ignored()
    {
        var store = new XdsConfigStore();
        // circuit_breakers 10, outlier_detection 19, common_lb_config 27, typed_extension_protocol_options 36, filters 40, transport_socket_matches 43
        var cluster = WithUndeclared(EdsCluster("reviews", Port, "v2"), 10, 19, 27, 36, 40, 43);
        cluster.Metadata.FilterMetadata["istio"].Fields["services"] = Value.ForList(Value.ForStruct(new Struct
        {
            Fields = { ["host"] = Value.ForString(Host("reviews")), ["name"] = Value.ForString("reviews"), ["namespace"] = Value.ForString("default") },
        }));
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Cluster, cluster, EdsCluster("reviews", Port))));

        // Two localities with region/zone/sub_zone, weights, a failover priority, endpoint metadata, unhealthy and draining endpoints.
        var assignment = Assignment(ClusterName("reviews", Port, "v2"), System.Net.IPEndPoint.Parse("198.18.0.12:9080"));
        assignment.Endpoints[0].Locality = new Envoy.Config.Core.V3.Locality { Region = "us-east1", Zone = "us-east1-b", SubZone = "rack7" };
        assignment.Endpoints[0].LbEndpoints[0].Metadata = new Envoy.Config.Core.V3.Metadata();
        assignment.Endpoints[0].LbEndpoints[0].Metadata.FilterMetadata["istio"] = new Struct { Fields = { ["workload"] = Value.ForString("reviews-v2;default;reviews;v2;Kubernetes") } };
        var other = Assignment(ClusterName("reviews", Port, "v2"), System.Net.IPEndPoint.Parse("198.18.0.13:9080"), System.Net.IPEndPoint.Parse("198.18.0.14:9080")).Endpoints[0];
        other.Priority = 1;
        other.LbEndpoints[0].HealthStatus = HealthStatus.Unhealthy;
        other.LbEndpoints[1].HealthStatus = HealthStatus.Draining;
        assignment.Endpoints.Add(other);
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Endpoint, WithUndeclared(assignment, 4),
            Assignment(ClusterName("reviews", Port), System.Net.IPEndPoint.Parse("198.18.0.12:9080")))));
        var view = store.View();
        Assert.Equal(["198.18.0.12:9080"], view.Clusters[ClusterName("reviews", Port, "v2")].Select(e => e.Address.ToString()));

        // The HCM with Istio's filters and one we do not know (its config is never unpacked), plus undeclared fields.
        var listener = ApiListener("reviews", Port);
        var manager = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        manager.HttpFilters.Insert(0, new HttpFilter { Name = "istio.stats", TypedConfig = Any.Pack(new Struct(), "type.googleapis.com/udpa.type.v1") });
        listener.ApiListener.ApiListener_ = Any.Pack(WithUndeclared(manager, 1, 7, 30));
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Listener, WithUndeclared(listener, 4, 16))));
        Assert.Equal([RouteConfigName("reviews", Port)], store.RouteNames);
    }

    [Fact]
    public void A_route_with_decorator_stream_duration_and_the_empty_fault_istio_always_sends_translates()
    {
        var route = WithUndeclared(ToSubset("default", "reviews", Port, "v2"), 5, 15); // decorator, tracing
        route.Route_ = WithUndeclared(route.Route_, 23, 36); // max_grpc_timeout, max_stream_duration
        route.TypedPerFilterConfig[RouteTranslator.FaultFilter] = Any.Pack(new HTTPFault());
        var rules = RouteTranslator.Translate(RouteConfig("reviews", Port, route), out var reason);
        Assert.Null(reason);
        var rule = Assert.Single(rules!);
        Assert.False(rule.NeedsHttp); // an empty fault is no fault: the route stays on the direct socket
    }

    public static TheoryData<string, EnvoyRoute> Refused()
    {
        var headersToAdd = WithUndeclared(ToSubset("headers", "reviews", Port, "v1"), 9);
        var hashing = ToSubset("hash", "reviews", Port, "v1");
        hashing.Route_ = WithUndeclared(hashing.Route_, 15);
        var cors = ToSubset("cors", "reviews", Port, "v1");
        cors.TypedPerFilterConfig["envoy.filters.http.cors"] = Any.Pack(new Struct());
        var rateLimitedFault = ToSubset("slow-body", "reviews", Port, "v1");
        rateLimitedFault.TypedPerFilterConfig[RouteTranslator.FaultFilter] = Any.Pack(WithUndeclared(new HTTPFault(), 7));
        var missingAsEmpty = ToSubset("missing", "reviews", Port, "v1");
        missingAsEmpty.Match.Headers.Add(new HeaderMatcher { Name = "end-user", ExactMatch = "", TreatMissingHeaderAsEmpty = true });
        return new TheoryData<string, EnvoyRoute>
        {
            { "route field 9 (request_headers_to_add) is not supported", headersToAdd },
            { "route action field 15 (hash_policy) is not supported", hashing },
            { "filter config for envoy.filters.http.cors is not supported", cors },
            { "fault field 7 (response_rate_limit) is not supported", rateLimitedFault },
            { "treat_missing_header_as_empty on end-user is not supported", missingAsEmpty },
        };
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_route_part_we_would_drop_refuses_its_configuration_and_the_rest_of_the_response_applies(string why, EnvoyRoute route)
    {
        var store = new XdsConfigStore();
        store.Apply(Response(XdsTypeUrls.Listener, ApiListener("reviews", Port), ApiListener("ratings", Port)));
        var refused = store.Apply(Response(XdsTypeUrls.Route, RouteConfig("reviews", Port, route),
            RouteConfig("ratings", Port, ToSubset("default", "ratings", Port, ""))));
        var refusal = Assert.Single(refused);
        Assert.Equal((RouteConfigName("reviews", Port), $"virtual host {Host("reviews")}:{Port}, route {route.Name}: {why}"), (refusal.Name, refusal.Reason));
        Assert.Equal([RouteConfigName("ratings", Port)], store.Routes.Keys);
    }
}
