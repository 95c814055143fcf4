using System.Net;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Rules;
using AppSwitch.Tests.Infrastructure.Xds;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Common.Fault.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>One test per mapping of issue 17 point 2: Istio-shaped Envoy resources → our view and rules, or a refusal with its reason.</summary>
public class XdsTranslationTests
{
    private static readonly IPEndPoint V1 = IPEndPoint.Parse("198.18.0.11:9080");
    private static readonly IPEndPoint V2 = IPEndPoint.Parse("198.18.0.12:9080");

    [Theory]
    [InlineData("outbound|9080|v2|reviews.default.svc.cluster.local", "outbound", 9080, "v2", "reviews.default.svc.cluster.local")]
    [InlineData("outbound|9080||reviews.default.svc.cluster.local", "outbound", 9080, "", "reviews.default.svc.cluster.local")]
    public void IstioClusterNamesParse(string name, string direction, int port, string subset, string host) =>
        Assert.Equal(new IstioClusterName(direction, port, subset, host), IstioClusterName.TryParse(name, out var parsed) ? parsed : null);

    [Theory]
    [InlineData("PassthroughCluster")]
    [InlineData("outbound|0||reviews")]
    [InlineData("outbound|9080|reviews")]
    [InlineData("sideways|9080||reviews")]
    public void OtherNamesAreNotIstioServiceClusters(string name) => Assert.False(IstioClusterName.TryParse(name, out _));

    [Fact]
    public void AnEdsClusterOverAdsIsAccepted()
    {
        var cluster = ClusterTranslator.Translate(EdsCluster("reviews", 9080, "v2"), out var reason);
        Assert.Null(reason);
        Assert.Equal((ClusterName("reviews", 9080, "v2"), "v2", 9080), (cluster!.EndpointsName, cluster.Service!.Subset, cluster.Service.Port));
    }

    [Theory]
    [InlineData(EnvoyCluster.Types.LbPolicy.RingHash, "load-balancing policy RingHash is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)")]
    [InlineData(EnvoyCluster.Types.LbPolicy.Maglev, "load-balancing policy Maglev is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)")]
    public void HashingPoliciesAreRefused(EnvoyCluster.Types.LbPolicy policy, string expected)
    {
        var cluster = EdsCluster("reviews", 9080);
        cluster.LbPolicy = policy;
        Assert.Null(ClusterTranslator.Translate(cluster, out var reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void OriginalDestinationClustersAreRefused()
    {
        var cluster = EdsCluster("reviews", 9080);
        cluster.Type = EnvoyCluster.Types.DiscoveryType.OriginalDst;
        Assert.Null(ClusterTranslator.Translate(cluster, out var reason));
        Assert.Equal("cluster type OriginalDst is not supported (EDS, STATIC and DNS with addresses are)", reason);
    }

    [Fact]
    public void UnhealthyAndZeroWeightEndpointsAreLeftOut()
    {
        var assignment = Assignment("c", V1, V2, IPEndPoint.Parse("198.18.0.13:9080"));
        var endpoints = assignment.Endpoints[0].LbEndpoints;
        endpoints[1].HealthStatus = HealthStatus.Unhealthy;
        endpoints[2].LoadBalancingWeight = 0;
        Assert.Equal([new XdsEndpoint(V1, 1)], EndpointTranslator.Translate(assignment, out _)!);
    }

    [Fact]
    public void AHostnameEndpointRefusesTheWholeAssignment()
    {
        var assignment = Assignment("c", V1);
        assignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address = "reviews-v1.example";
        Assert.Null(EndpointTranslator.Translate(assignment, out var reason));
        Assert.Equal("endpoint \"reviews-v1.example\" is not an IP address", reason);
    }

    [Fact]
    public void SubsetClustersTagTheServicesInstances()
    {
        var clusters = new[] { EdsCluster("reviews", 9080), EdsCluster("reviews", 9080, "v1"), EdsCluster("reviews", 9080, "v2") }
            .Select(c => ClusterTranslator.Translate(c, out _)!).ToList();
        var assignments = new Dictionary<string, IReadOnlyList<XdsEndpoint>>
        {
            [ClusterName("reviews", 9080)] = [new(V1, 1), new(V2, 1)],
            [ClusterName("reviews", 9080, "v1")] = [new(V1, 1)],
            [ClusterName("reviews", 9080, "v2")] = [new(V2, 1)],
        };
        var service = XdsRegistryView.Build(clusters, assignments).Services[$"{Host("reviews")}:9080"];
        Assert.Equal([new(V1, 1, ["v1"]), new(V2, 1, ["v2"])], service.Instances.Select(i => i with { Tags = [.. i.Tags] }).ToList(),
            InstanceComparer.Instance);
    }

    [Fact]
    public void AClusterWhoseEndpointsHaveNotArrivedIsNotInTheView()
    {
        var view = XdsRegistryView.Build([ClusterTranslator.Translate(EdsCluster("reviews", 9080), out _)!], new Dictionary<string, IReadOnlyList<XdsEndpoint>>());
        Assert.True(view.IsEmpty);
    }

    [Fact]
    public void WeightedClustersBecomeBackendWeightsWithTheSubsetClusterAsTag()
    {
        var rules = Translate(Weighted("reviews", 9080, ("v1", 80), ("v2", 20)));
        var route = Assert.Single(rules);
        Assert.Equal("reviews", route.Destination);
        Assert.Equal([([XdsSubsetTag.Of(ClusterName("reviews", 9080, "v1"))], 0.8), ([XdsSubsetTag.Of(ClusterName("reviews", 9080, "v2"))], 0.2)], route.Route!.Backends.Select(b => (b.Tags, b.Weight!.Value)).ToList(), BackendComparer.Instance);
        Assert.False(route.NeedsHttp); // Istio's default retry policy does not force the HTTP relay: an L4 split stays on the direct socket
    }

    [Fact]
    public void HeaderMatchesBecomeAnchoredRegexes()
    {
        var route = ToSubset("jason", "reviews", 9080, "v2");
        route.Match.Headers.Add(new HeaderMatcher { Name = "end-user", StringMatch = new() { Exact = "jason" } });
        route.Match.Headers.Add(new HeaderMatcher { Name = "x-tier", PrefixMatch = "gold." });
        route.Match.Headers.Add(new HeaderMatcher { Name = "cookie", SafeRegexMatch = new() { Regex = ".*user=.*" } });
        var rule = Assert.Single(Translate(route, ToSubset("default", "reviews", 9080, "v1")), r => r.Id.EndsWith("/jason", StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, string> { ["end-user"] = "^jason$", ["x-tier"] = "^gold\\.", ["cookie"] = "^(?:.*user=.*)$" }, rule.Match!.Headers);
        Assert.True(rule.NeedsHttp);
    }

    [Fact]
    public void EarlierRoutesGetHigherPriority()
    {
        var rules = Translate(ToSubset("first", "reviews", 9080, "v2"), ToSubset("second", "reviews", 9080, "v1"));
        Assert.True(rules.Single(r => r.Id.EndsWith("/first", StringComparison.Ordinal)).Priority > rules.Single(r => r.Id.EndsWith("/second", StringComparison.Ordinal)).Priority);
    }

    [Fact]
    public void PrefixRewriteTimeoutAndRetries()
    {
        var route = ToSubset("api", "reviews", 9080, "v1");
        route.Match.Prefix = "/v1/";
        route.Route_.PrefixRewrite = "/";
        route.Route_.Timeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500));
        route.Route_.RetryPolicy = new RetryPolicy { RetryOn = "5xx", NumRetries = 3 };
        var rule = Assert.Single(Translate(route));
        Assert.Equal(new RuleUri { Prefix = "/v1/", PrefixRewrite = "/" }, rule.Route!.Uri);
        Assert.Equal((1.5, 3), (rule.Route.HttpReqTimeout!.Value, rule.Route.HttpReqRetries!.Value));
        Assert.Null(rule.Route.HttpReqRetryStatuses); // 5xx: every 5xx, as our own rules retry
    }

    [Theory]
    [InlineData("retriable-status-codes", new uint[] { 503 }, new[] { 503 })] // Istio's `retryOn: 503`
    [InlineData("gateway-error,connect-failure", new uint[0], new[] { 502, 503, 504 })]
    [InlineData("connect-failure,refused-stream,reset", new uint[0], new int[0])] // connect failures only
    [InlineData("retriable-4xx,retriable-status-codes", new uint[] { 429 }, new[] { 409, 429 })]
    public void RetryOnNamesTheStatusesRetried(string retryOn, uint[] codes, int[] statuses)
    {
        var route = ToSubset("retry", "reviews", 9080, "v1");
        route.Route_.RetryPolicy = new RetryPolicy { RetryOn = retryOn, NumRetries = 2 };
        route.Route_.RetryPolicy.RetriableStatusCodes.Add(codes);
        var rule = Assert.Single(Translate(route));
        Assert.Equal(2, rule.Route!.HttpReqRetries);
        Assert.Equal(statuses, rule.Route.HttpReqRetryStatuses);
        Assert.True(rule.NeedsHttp);
    }

    [Fact]
    public void IstiosDefaultRetryPolicyIsNoRetries()
    {
        var rule = Assert.Single(Translate(ToSubset("plain", "reviews", 9080, "v1")));
        Assert.Null(rule.Route!.HttpReqRetries);
        Assert.False(rule.NeedsHttp);
    }

    [Fact]
    public void FaultDelayAndAbortBecomeActionsWithTheirProbabilities()
    {
        var route = ToSubset("faulty", "ratings", 9080, "v1");
        var fault = new HTTPFault
        {
            Delay = new FaultDelay { FixedDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(7)), Percentage = new FractionalPercent { Numerator = 100_000, Denominator = FractionalPercent.Types.DenominatorType.Million } },
            Abort = new FaultAbort { HttpStatus = 503, Percentage = new FractionalPercent { Numerator = 50 } },
        };
        route.TypedPerFilterConfig[RouteTranslator.FaultFilter] = Any.Pack(fault);
        var rules = Translate(route);
        var faultRule = Assert.Single(rules, r => r.Actions is not null);
        // Bound to its own route: Envoy applies the fault of the route that matched, to whichever cluster it picks.
        Assert.Equal(Assert.Single(rules, r => r.IsRoute).Id, faultRule.ForRoute);
        Assert.Equal(
            [new RuleAction { Action = "delay", Tags = [], Probability = 0.1, Duration = 7 }, new RuleAction { Action = "abort", Tags = [], Probability = 0.5, ReturnCode = 503 }],
            faultRule.Actions!, ActionComparer.Instance);
    }

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void WhatWeCannotExpressRefusesTheWholeConfiguration(string why, EnvoyRoute route)
    {
        var config = RouteConfig("reviews", 9080, ToSubset("ok", "reviews", 9080, "v1"), route);
        Assert.Null(RouteTranslator.Translate(config, out var reason));
        Assert.Equal($"virtual host {Host("reviews")}:9080, route {route.Name}: {why}", reason);
    }

    public static TheoryData<string, EnvoyRoute> Unsupported()
    {
        var redirect = new EnvoyRoute { Name = "redirect", Match = new RouteMatch { Prefix = "/" }, Redirect = new RedirectAction { HostRedirect = "x" } };
        var query = ToSubset("query", "reviews", 9080, "v1");
        query.Match.QueryParameters.Add(new QueryParameterMatcher { Name = "u", PresentMatch = true });
        var inverted = ToSubset("inverted", "reviews", 9080, "v1");
        inverted.Match.Headers.Add(new HeaderMatcher { Name = "end-user", ExactMatch = "jason", InvertMatch = true });
        var mirror = ToSubset("mirror", "reviews", 9080, "v1");
        mirror.Route_.RequestMirrorPolicies.Add(new RouteAction.Types.RequestMirrorPolicy { Cluster = ClusterName("reviews", 9080, "v2") });
        var regexPath = ToSubset("regex", "reviews", 9080, "v1");
        regexPath.Match.SafeRegex = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = "/a.*" };
        var external = ToSubset("external", "reviews", 9080, "v1");
        external.Route_.Cluster = "PassthroughCluster";
        var retryHeaders = ToSubset("retry-headers", "reviews", 9080, "v1");
        retryHeaders.Route_.RetryPolicy = new RetryPolicy { RetryOn = "5xx,retriable-headers", NumRetries = 2 };
        return new TheoryData<string, EnvoyRoute>
        {
            { "a Redirect action is not supported (only route)", redirect },
            { "query parameter matches are not supported", query },
            { "inverted match on end-user is not supported", inverted },
            { "request mirroring is not supported", mirror },
            { "a SafeRegex path match is not supported (prefix and exact path are)", regexPath },
            { "cluster \"PassthroughCluster\" is not an Istio outbound cluster", external },
            { "retry_on \"retriable-headers\" is not supported (5xx, gateway-error, retriable-4xx, retriable-status-codes, connect-failure, reset, refused-stream are)", retryHeaders },
        };
    }

    private static IReadOnlyList<Rule> Translate(params EnvoyRoute[] routes)
    {
        var rules = RouteTranslator.Translate(RouteConfig("reviews", 9080, routes), out var reason);
        Assert.Null(reason);
        return rules!;
    }

    private sealed class InstanceComparer : IEqualityComparer<XdsServiceInstance>
    {
        public static readonly InstanceComparer Instance = new();
        public bool Equals(XdsServiceInstance? a, XdsServiceInstance? b) => a!.Endpoint.Equals(b!.Endpoint) && a.Weight == b.Weight && a.Tags.SequenceEqual(b.Tags);
        public int GetHashCode(XdsServiceInstance i) => i.Endpoint.GetHashCode();
    }

    private sealed class BackendComparer : IEqualityComparer<(List<string> Tags, double Weight)>
    {
        public static readonly BackendComparer Instance = new();
        public bool Equals((List<string> Tags, double Weight) a, (List<string> Tags, double Weight) b) => a.Tags.SequenceEqual(b.Tags) && Math.Abs(a.Weight - b.Weight) < 1e-9;
        public int GetHashCode((List<string> Tags, double Weight) x) => 0;
    }

    private sealed class ActionComparer : IEqualityComparer<RuleAction>
    {
        public static readonly ActionComparer Instance = new();
        private static readonly List<string> NoTags = [];
        public bool Equals(RuleAction? a, RuleAction? b) => a! with { Tags = NoTags } == b! with { Tags = NoTags } && a.Tags.SequenceEqual(b.Tags);
        public int GetHashCode(RuleAction a) => 0;
    }
}
