namespace AppSwitch.Agent.Xds.Client;

/// <summary>The v3 type URLs the client subscribes to, in Istio's push order (clusters before their endpoints, listeners before routes).</summary>
public static class XdsTypeUrls
{
    private const string Prefix = "type.googleapis.com/";
    public const string Cluster = Prefix + "envoy.config.cluster.v3.Cluster";
    public const string Endpoint = Prefix + "envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Listener = Prefix + "envoy.config.listener.v3.Listener";
    public const string Route = Prefix + "envoy.config.route.v3.RouteConfiguration";

    public static readonly IReadOnlyList<string> All = [Cluster, Endpoint, Listener, Route];

    /// <summary>CDS and LDS answer with the full set (an absent name was deleted); EDS and RDS with the names asked for.</summary>
    public static bool IsWildcard(string typeUrl) => typeUrl is Cluster or Listener;

    public static string Short(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('.') + 1)..];
}
