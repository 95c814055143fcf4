namespace AppSwitch.Agent.Kubernetes.Config;

/// <summary>
/// Chooses the connection. The base is the kubeconfig (--kubeconfig, else the first existing file of KUBECONFIG)
/// when one is named, else the in-cluster settings when running in a pod. --kubernetes-url and
/// --kubernetes-token then override the server and the token of that base, as Amalgam8's flags did; a URL
/// with no base at all is used alone (system trust store, token if given).
/// </summary>
public static class KubeConnectionResolver
{
    public static KubeConnection Resolve(KubeSettings settings, IReadOnlyDictionary<string, string> environment,
        string serviceAccountDir = InClusterConfig.DefaultServiceAccountDir)
    {
        var kubeconfig = settings.Kubeconfig ?? FirstExisting(environment.GetValueOrDefault("KUBECONFIG"));
        var baseConnection = kubeconfig is not null ? KubeconfigLoader.Load(kubeconfig)
            : InClusterConfig.IsAvailable(environment) ? InClusterConfig.Load(environment, serviceAccountDir)
            : null;

        Uri? url = null;
        if (settings.Url is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("https" or "http")))
            throw new KubeConfigException($"--kubernetes-url '{text}' is not an http(s) URL");

        if (baseConnection is null)
        {
            if (url is null)
                throw new KubeConfigException(
                    "no Kubernetes API server: not in a pod (KUBERNETES_SERVICE_HOST unset) and neither --kubeconfig, KUBECONFIG nor --kubernetes-url given");
            return new KubeConnection { Server = url, Token = settings.Token, Source = "--kubernetes-url" };
        }
        if (url is null && settings.Token is null) return baseConnection;
        return baseConnection with
        {
            Server = url ?? baseConnection.Server,
            Token = settings.Token ?? baseConnection.Token,
            TokenFile = settings.Token is null ? baseConnection.TokenFile : null,
            Source = baseConnection.Source + " with --kubernetes-url/--kubernetes-token",
        };
    }

    private static string? FirstExisting(string? pathList) =>
        pathList?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
}
