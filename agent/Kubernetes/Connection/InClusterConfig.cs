using k8s;

namespace AppSwitch.Agent.Kubernetes.Connection;

/// <summary>
/// The settings a pod gets from Kubernetes: KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's token, ca.crt and
/// namespace under /var/run/secrets/kubernetes.io/serviceaccount. KubernetesClient's InClusterConfig() reads the same
/// but only from the process environment and that fixed directory (tests give their own) and with its once-a-minute
/// token re-read; this one feeds its configuration with <see cref="ServiceAccountToken"/>.
/// </summary>
public static class InClusterConfig
{
    public const string DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static bool IsAvailable(IReadOnlyDictionary<string, string> environment) =>
        environment.TryGetValue("KUBERNETES_SERVICE_HOST", out var host) && host.Length > 0;

    public static KubeConnection Load(IReadOnlyDictionary<string, string> environment, string serviceAccountDir = DefaultServiceAccountDir)
    {
        if (!environment.TryGetValue("KUBERNETES_SERVICE_HOST", out var host) || host.Length == 0)
            throw new KubeConnectionException("not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set); give --kubeconfig or --kubernetes-url");
        var port = environment.TryGetValue("KUBERNETES_SERVICE_PORT", out var p) && p.Length > 0 ? p : "443";
        if (!int.TryParse(port, out var portNumber) || portNumber is < 1 or > 65535)
            throw new KubeConnectionException($"KUBERNETES_SERVICE_PORT '{port}' is not a port number");

        var tokenFile = Path.Combine(serviceAccountDir, "token");
        if (!File.Exists(tokenFile))
            throw new KubeConnectionException($"in-cluster token {tokenFile} is missing (is automountServiceAccountToken off?)");
        var caFile = Path.Combine(serviceAccountDir, "ca.crt");
        var namespaceFile = Path.Combine(serviceAccountDir, "namespace");
        var configuration = new KubernetesClientConfiguration
        {
            // An IPv6 service host needs brackets in a URL.
            Host = $"https://{(host.Contains(':') ? $"[{host}]" : host)}:{portNumber}",
            TokenProvider = new ServiceAccountToken(tokenFile),
            SslCaCerts = File.Exists(caFile) ? LoadAuthorities(caFile) : null,
            Namespace = File.Exists(namespaceFile) ? File.ReadAllText(namespaceFile).Trim() : null,
        };
        return new KubeConnection(configuration, "in-cluster");
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2Collection LoadAuthorities(string caFile)
    {
        try
        {
            var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            roots.ImportFromPem(File.ReadAllText(caFile));
            if (roots.Count == 0) throw new KubeConnectionException($"in-cluster CA file {caFile}: no PEM certificate in it");
            return roots;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new KubeConnectionException($"in-cluster CA file {caFile}: {e.Message}", e);
        }
    }
}
