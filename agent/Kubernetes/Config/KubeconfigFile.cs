using YamlDotNet.Serialization;

namespace AppSwitch.Agent.Kubernetes.Config;

// The parts of a kubeconfig file (kubectl's format) the agent understands; other keys are ignored.
internal sealed class KubeconfigFile
{
    [YamlMember(Alias = "current-context")] public string? CurrentContext { get; set; }
    [YamlMember(Alias = "clusters")] public List<Named<KubeconfigCluster>>? Clusters { get; set; }
    [YamlMember(Alias = "users")] public List<Named<KubeconfigUser>>? Users { get; set; }
    [YamlMember(Alias = "contexts")] public List<Named<KubeconfigContext>>? Contexts { get; set; }
}

internal sealed class Named<T>
{
    [YamlMember(Alias = "name")] public string? Name { get; set; }
    [YamlMember(Alias = "cluster")] public KubeconfigCluster? Cluster { get; set; }
    [YamlMember(Alias = "user")] public KubeconfigUser? User { get; set; }
    [YamlMember(Alias = "context")] public KubeconfigContext? Context { get; set; }
}

internal sealed class KubeconfigCluster
{
    [YamlMember(Alias = "server")] public string? Server { get; set; }
    [YamlMember(Alias = "certificate-authority")] public string? CertificateAuthority { get; set; }
    [YamlMember(Alias = "certificate-authority-data")] public string? CertificateAuthorityData { get; set; }
    [YamlMember(Alias = "insecure-skip-tls-verify")] public bool InsecureSkipTlsVerify { get; set; }
}

internal sealed class KubeconfigUser
{
    [YamlMember(Alias = "token")] public string? Token { get; set; }
    [YamlMember(Alias = "tokenFile")] public string? TokenFile { get; set; }
    [YamlMember(Alias = "client-certificate")] public string? ClientCertificate { get; set; }
    [YamlMember(Alias = "client-certificate-data")] public string? ClientCertificateData { get; set; }
    [YamlMember(Alias = "client-key")] public string? ClientKey { get; set; }
    [YamlMember(Alias = "client-key-data")] public string? ClientKeyData { get; set; }
}

internal sealed class KubeconfigContext
{
    [YamlMember(Alias = "cluster")] public string? Cluster { get; set; }
    [YamlMember(Alias = "user")] public string? User { get; set; }
    [YamlMember(Alias = "namespace")] public string? Namespace { get; set; }
}
