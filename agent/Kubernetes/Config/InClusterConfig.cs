namespace AppSwitch.Agent.Kubernetes.Config;

/// <summary>
/// The settings a pod gets from Kubernetes: KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's
/// token, ca.crt and namespace under /var/run/secrets/kubernetes.io/serviceaccount (overridable for tests).
/// </summary>
public static class InClusterConfig
{
    public const string DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static bool IsAvailable(IReadOnlyDictionary<string, string> environment) =>
        environment.TryGetValue("KUBERNETES_SERVICE_HOST", out var host) && host.Length > 0;

    public static KubeConnection Load(IReadOnlyDictionary<string, string> environment, string serviceAccountDir = DefaultServiceAccountDir)
    {
        if (!environment.TryGetValue("KUBERNETES_SERVICE_HOST", out var host) || host.Length == 0)
            throw new KubeConfigException("not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set); give --kubeconfig or --kubernetes-url");
        var port = environment.TryGetValue("KUBERNETES_SERVICE_PORT", out var p) && p.Length > 0 ? p : "443";
        if (!int.TryParse(port, out var portNumber) || portNumber is < 1 or > 65535)
            throw new KubeConfigException($"KUBERNETES_SERVICE_PORT '{port}' is not a port number");
        // An IPv6 service host needs brackets in a URL.
        var server = new Uri($"https://{(host.Contains(':') ? $"[{host}]" : host)}:{portNumber}");

        var tokenFile = Path.Combine(serviceAccountDir, "token");
        if (!File.Exists(tokenFile))
            throw new KubeConfigException($"in-cluster token {tokenFile} is missing (is automountServiceAccountToken off?)");
        var caFile = Path.Combine(serviceAccountDir, "ca.crt");
        var namespaceFile = Path.Combine(serviceAccountDir, "namespace");
        return new KubeConnection
        {
            Server = server,
            TokenFile = tokenFile,
            CertificateAuthorities = File.Exists(caFile)
                ? CertificateFiles.LoadAuthorities(CertificateFiles.ReadText(caFile, "CA file"), caFile)
                : null,
            Namespace = File.Exists(namespaceFile) ? File.ReadAllText(namespaceFile).Trim() : null,
            Source = "in-cluster",
        };
    }
}
