using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace AppSwitch.Agent.Kubernetes.Config;

/// <summary>
/// Reads a kubeconfig file: its current context (or a named one) → cluster (server, CA, insecure-skip-tls-verify)
/// and user (token, tokenFile, client certificate and key, as files or -data). Relative file paths are relative
/// to the kubeconfig's directory, as kubectl reads them. Exec/auth-provider plugins are not supported.
/// </summary>
public static class KubeconfigLoader
{
    public static KubeConnection Load(string path, string? contextName = null)
    {
        var text = CertificateFiles.ReadText(path, "kubeconfig");
        KubeconfigFile file;
        try
        {
            file = new DeserializerBuilder().IgnoreUnmatchedProperties().Build().Deserialize<KubeconfigFile?>(text) ?? new();
        }
        catch (YamlException e)
        {
            throw new KubeConfigException($"kubeconfig {path}: not valid YAML at line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }
        var where = $"kubeconfig {path}";

        var wanted = contextName ?? file.CurrentContext
                     ?? throw new KubeConfigException($"{where}: no current-context");
        var context = Find(file.Contexts, wanted)?.Context
                      ?? throw new KubeConfigException($"{where}: context '{wanted}' is not defined");
        var cluster = Find(file.Clusters, context.Cluster)?.Cluster
                      ?? throw new KubeConfigException($"{where}: cluster '{context.Cluster}' of context '{wanted}' is not defined");
        var user = context.User is null ? new KubeconfigUser()
            : Find(file.Users, context.User)?.User ?? throw new KubeConfigException($"{where}: user '{context.User}' of context '{wanted}' is not defined");

        if (!Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server) || server.Scheme is not ("https" or "http"))
            throw new KubeConfigException($"{where}: cluster '{context.Cluster}' has no valid server URL ('{cluster.Server}')");

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string file) => Path.Combine(directory, file);

        var caPem = cluster.CertificateAuthorityData is { } caData ? CertificateFiles.DecodeBase64(caData, $"{where}: certificate-authority-data")
            : cluster.CertificateAuthority is { } caFile ? CertificateFiles.ReadText(Resolve(caFile), "certificate authority")
            : null;
        var certPem = user.ClientCertificateData is { } certData ? CertificateFiles.DecodeBase64(certData, $"{where}: client-certificate-data")
            : user.ClientCertificate is { } certFile ? CertificateFiles.ReadText(Resolve(certFile), "client certificate")
            : null;
        var keyPem = user.ClientKeyData is { } keyData ? CertificateFiles.DecodeBase64(keyData, $"{where}: client-key-data")
            : user.ClientKey is { } keyFile ? CertificateFiles.ReadText(Resolve(keyFile), "client key")
            : null;
        if ((certPem is null) != (keyPem is null))
            throw new KubeConfigException($"{where}: user '{context.User}' has a client certificate without its key, or a key without its certificate");

        return new KubeConnection
        {
            Server = server,
            Token = string.IsNullOrEmpty(user.Token) ? null : user.Token,
            TokenFile = user.TokenFile is { } tokenFile ? Resolve(tokenFile) : null,
            CertificateAuthorities = caPem is null ? null : CertificateFiles.LoadAuthorities(caPem, $"{where}: certificate authority of cluster '{context.Cluster}'"),
            ClientCertificate = certPem is null ? null : CertificateFiles.LoadClientCertificate(certPem, keyPem!, $"{where}: user '{context.User}'"),
            InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
            Namespace = context.Namespace,
            Source = $"{where} (context {wanted})",
        };
    }

    private static Named<T>? Find<T>(List<Named<T>>? entries, string? name) =>
        name is null ? null : entries?.FirstOrDefault(e => e.Name == name);
}
