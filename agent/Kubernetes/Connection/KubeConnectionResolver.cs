using k8s;
using k8s.Exceptions;

namespace AppSwitch.Agent.Kubernetes.Connection;

/// <summary>
/// Chooses the connection. The base is the kubeconfig (--kubeconfig, else the first existing file of KUBECONFIG),
/// read by KubernetesClient, when one is named, else the in-cluster settings when running in a pod.
/// --kubernetes-url and --kubernetes-token then override the server and the token of that base, as Amalgam8's
/// flags did; a URL with no base at all is used alone (system trust store, token if given).
/// </summary>
public static class KubeConnectionResolver
{
    /// <summary>As below, with this process's environment.</summary>
    public static KubeConnection Resolve(KubeSettings settings) =>
        Resolve(settings, Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? ""));

    public static KubeConnection Resolve(KubeSettings settings, IReadOnlyDictionary<string, string> environment,
        string serviceAccountDir = InClusterConfig.DefaultServiceAccountDir)
    {
        var kubeconfig = settings.Kubeconfig ?? FirstExisting(environment.GetValueOrDefault("KUBECONFIG"));
        var connection = kubeconfig is not null ? LoadKubeconfig(kubeconfig)
            : InClusterConfig.IsAvailable(environment) ? InClusterConfig.Load(environment, serviceAccountDir)
            : null;

        Uri? url = null;
        if (settings.Url is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("https" or "http")))
            throw new KubeConnectionException($"--kubernetes-url '{text}' is not an http(s) URL");

        if (connection is null)
        {
            if (url is null)
                throw new KubeConnectionException(
                    "no Kubernetes API server: not in a pod (KUBERNETES_SERVICE_HOST unset) and neither --kubeconfig, KUBECONFIG nor --kubernetes-url given");
            return new KubeConnection(new KubernetesClientConfiguration { Host = url.ToString(), AccessToken = settings.Token }, "--kubernetes-url");
        }
        if (url is null && settings.Token is null) return connection;
        var configuration = connection.Configuration;
        if (url is not null) configuration.Host = url.ToString();
        if (settings.Token is not null)
        {
            configuration.AccessToken = settings.Token;
            configuration.TokenProvider = null;
        }
        return connection with { Source = connection.Source + " with --kubernetes-url/--kubernetes-token" };
    }

    /// <summary>A kubeconfig (its current context) as KubernetesClient reads it, with its errors naming the file.</summary>
    public static KubeConnection LoadKubeconfig(string path, string? context = null)
    {
        if (!File.Exists(path)) throw new KubeConnectionException($"cannot read kubeconfig {path}: no such file");
        try
        {
            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
            return new KubeConnection(configuration, $"kubeconfig {path} (context {configuration.CurrentContext})");
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or FormatException
                                      or YamlDotNet.Core.YamlException or System.Security.Cryptography.CryptographicException)
        {
            throw new KubeConnectionException($"kubeconfig {path}: {OneLine(e)}", e);
        }
    }

    private static string OneLine(Exception e) =>
        (e is YamlDotNet.Core.YamlException yaml ? $"not valid YAML at line {yaml.Start.Line}: {yaml.InnerException?.Message ?? yaml.Message}" : e.Message)
        .ReplaceLineEndings(" ");

    private static string? FirstExisting(string? pathList) =>
        pathList?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
}
