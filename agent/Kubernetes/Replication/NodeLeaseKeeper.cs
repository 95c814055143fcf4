using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>
/// This node's Lease (coordination.k8s.io/v1, `appswitch-NODE` in the agents' namespace): renewed while the agent
/// runs, deleted when it stops. Other agents drop the node's entries when it is not renewed within its duration,
/// which tells a dead agent from a quiet one without rewriting the (large) AppSwitchNode object.
/// </summary>
public sealed class NodeLeaseKeeper
{
    public const string NamePrefix = "appswitch-";

    private readonly IKubernetes _client;
    private readonly string _namespace;
    private readonly string _nodeName;
    private readonly TimeSpan _duration;
    private readonly OptimisticWriter _writer;

    public NodeLeaseKeeper(IKubernetes client, string @namespace, string nodeName, TimeSpan duration)
    {
        _client = client;
        _namespace = @namespace;
        _nodeName = nodeName;
        _duration = duration;
        _writer = new OptimisticWriter("leases.coordination.k8s.io", @namespace,
            async (_, ct) => (await client.CoordinationV1.CreateNamespacedLeaseAsync(Body(null), @namespace, cancellationToken: ct)).Metadata.ResourceVersion,
            async (version, ct) => (await client.CoordinationV1.ReplaceNamespacedLeaseAsync(Body(version), LeaseName(nodeName), @namespace,
                cancellationToken: ct)).Metadata.ResourceVersion,
            async ct => (await client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(nodeName), @namespace, cancellationToken: ct)).Metadata.ResourceVersion);
    }

    public static string LeaseName(string nodeName) => NamePrefix + nodeName;

    /// <summary>The node a Lease of ours is for, or null for another component's Lease.</summary>
    public static string? NodeOf(V1Lease lease) =>
        lease.Metadata?.Name is { } name && name.StartsWith(NamePrefix, StringComparison.Ordinal) ? name[NamePrefix.Length..] : null;

    public long Renewals => _writer.Writes;

    public Task RenewAsync(CancellationToken cancellationToken) => _writer.WriteAsync(cancellationToken);

    /// <summary>A graceful stop: the other nodes drop this node's entries at once (as gossip's leave does).</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoordinationV1.DeleteNamespacedLeaseAsync(LeaseName(_nodeName), _namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound) { }
    }

    private V1Lease Body(string? resourceVersion) => new()
    {
        ApiVersion = "coordination.k8s.io/v1", Kind = "Lease",
        Metadata = new V1ObjectMeta
        {
            Name = LeaseName(_nodeName), NamespaceProperty = _namespace, ResourceVersion = resourceVersion,
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "appswitch" },
        },
        Spec = new V1LeaseSpec
        {
            HolderIdentity = _nodeName, LeaseDurationSeconds = (int)_duration.TotalSeconds, RenewTime = DateTime.UtcNow,
        },
    };
}
