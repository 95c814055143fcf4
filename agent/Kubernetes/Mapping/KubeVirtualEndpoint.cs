namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>
/// A Service's ClusterIP:port as a virtual address, backed by the ready instances on that port;
/// DnsNames are `svc`, `svc.ns` and `svc.ns.svc.&lt;cluster domain&gt;`.
/// </summary>
public sealed record KubeVirtualEndpoint(
    string Service,
    string Namespace,
    string ClusterIp,
    int Port,
    string Type,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<KubeServiceInstance> Backends);
