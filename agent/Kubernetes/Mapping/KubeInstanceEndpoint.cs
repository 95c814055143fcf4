namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>Type is tcp, udp, http or https (sctp passes through lowercased); Value is ip:port ([v6]:port).</summary>
public sealed record KubeInstanceEndpoint(string Type, string Value);
