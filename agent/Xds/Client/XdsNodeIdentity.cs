using System.Net;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// The node identity istiod expects (pkg/model/proxy.go): id `sidecar~IP~NAME.NS~NS.svc.cluster.local` and string
/// metadata. GENERATOR=grpc asks for Istio's proxyless-gRPC output (per-service api_listeners, EDS clusters per
/// subset, the fault filter per route): the shape a non-Envoy client can apply without emulating Envoy's listeners.
/// </summary>
public static class XdsNodeIdentity
{
    public const string Generator = "grpc";

    public static Node Build(XdsSettings settings, string nodeName, IPAddress nodeAddress)
    {
        var ns = settings.Namespace;
        var metadata = new Struct();
        metadata.Fields["GENERATOR"] = Value.ForString(Generator);
        metadata.Fields["NAMESPACE"] = Value.ForString(ns);
        metadata.Fields["CLUSTER_ID"] = Value.ForString(settings.ClusterId);
        metadata.Fields["INSTANCE_IPS"] = Value.ForString(nodeAddress.ToString());
        metadata.Fields["NODE_NAME"] = Value.ForString(nodeName);
        metadata.Fields["WORKLOAD_NAME"] = Value.ForString("appswitch-agent");
        return new Node
        {
            Id = $"sidecar~{nodeAddress}~{nodeName}.{ns}~{ns}.svc.cluster.local",
            Cluster = "appswitch-agent." + ns,
            Metadata = metadata,
            UserAgentName = "appswitch-agent",
        };
    }
}
