namespace AppSwitch.Agent.Xds;

/// <summary>An Istio service port (`reviews.default.svc.cluster.local:9080`) and its endpoints, tagged by subset.</summary>
public sealed record XdsService(string Host, int Port, IReadOnlyList<XdsServiceInstance> Instances)
{
    public string Key => $"{Host}:{Port}";
}
