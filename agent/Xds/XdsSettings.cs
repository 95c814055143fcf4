namespace AppSwitch.Agent.Xds;

/// <summary>
/// Where the agent's xDS client connects (istiod) and how it identifies itself. Null <see cref="Address"/>: no xDS.
/// </summary>
public sealed record XdsSettings
{
    /// <summary>host:port of the control plane (istiod's 15010 plaintext, 15012 with <see cref="CaCertFile"/>).</summary>
    public string? Address { get; init; }

    /// <summary>PEM root the server's certificate must chain to; set: TLS, and the token is sent.</summary>
    public string? CaCertFile { get; init; }

    /// <summary>The projected ServiceAccount token (audience istio-ca), re-read at every connect; sent only over TLS.</summary>
    public string TokenFile { get; init; } = DefaultTokenFile;

    /// <summary>Istio's CLUSTER_ID (metadata and the `clusterid` header).</summary>
    public string ClusterId { get; init; } = "Kubernetes";

    /// <summary>The namespace the node's identity claims (Istio's NAMESPACE metadata and the node id's DNS domain).</summary>
    public string Namespace { get; init; } = "default";

    public const string DefaultTokenFile = "/var/run/secrets/tokens/istio-token";

    public bool Enabled => Address is not null;
}
