namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// Istio names services by FQDN (`reviews.default.svc.cluster.local`); the agent's service table and rules by the
/// app's service name (`reviews`): the first DNS label, as the Kubernetes adapter names a Service's instances.
/// </summary>
public static class IstioHost
{
    public static string ServiceName(string host)
    {
        var dot = host.IndexOf('.');
        return dot < 0 ? host : host[..dot];
    }
}
