using System.Security.Cryptography.X509Certificates;

namespace AppSwitch.Agent.Kubernetes.Config;

/// <summary>How to reach and authenticate to one API server, whatever the source (in-cluster, kubeconfig, flags).</summary>
public sealed record KubeConnection
{
    public required Uri Server { get; init; }
    /// <summary>A fixed bearer token.</summary>
    public string? Token { get; init; }
    /// <summary>A token file read again when it changes (projected ServiceAccount tokens rotate).</summary>
    public string? TokenFile { get; init; }
    /// <summary>Roots the server's certificate must chain to; null: the system's trust store.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }
    public X509Certificate2? ClientCertificate { get; init; }
    public bool InsecureSkipTlsVerify { get; init; }
    /// <summary>The namespace of the pod we run in (in-cluster) or of the kubeconfig context, if known.</summary>
    public string? Namespace { get; init; }
    /// <summary>Where the settings came from, for logs and errors ("in-cluster", "kubeconfig /root/.kube/config").</summary>
    public string Source { get; init; } = "";
}
