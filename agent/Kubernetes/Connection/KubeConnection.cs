using k8s;

namespace AppSwitch.Agent.Kubernetes.Connection;

/// <summary>How to reach one API server (KubernetesClient's settings) and where those settings came from.</summary>
/// <param name="Source">For logs and errors: "in-cluster", "kubeconfig /root/.kube/config (context dev)".</param>
public sealed record KubeConnection(KubernetesClientConfiguration Configuration, string Source)
{
    public Uri Server => new(Configuration.Host);

    /// <summary>The namespace of the pod we run in (in-cluster) or of the kubeconfig context, if known.</summary>
    public string? Namespace => Configuration.Namespace;

    /// <summary>
    /// A client for these settings. Watches run for minutes, so the client has no overall timeout; every call
    /// carries the caller's token (<see cref="KubeInformer{T,TList}"/> bounds lists and watches itself).
    /// </summary>
    public IKubernetes CreateClient()
    {
        Configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        Configuration.FirstMessageHandlerSetup = handler =>
        {
            if (handler is not SocketsHttpHandler sockets) return;
            sockets.ConnectTimeout = TimeSpan.FromSeconds(10);
            sockets.PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);
            // Keep-alive pings notice a dead API server behind a silent watch (HTTP/2).
            sockets.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            sockets.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
        };
        return new k8s.Kubernetes(Configuration);
    }
}
