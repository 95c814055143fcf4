using System.Text.Json;
using AppSwitch.Agent.Kubernetes.Models;
using k8s;

namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>
/// This node's AppSwitchNode object: created on the first write, replaced on every later one (the whole spec: the
/// publication is one document, as in gossip). Needs create/update/get on appswitchnodes.appswitch.io.
/// </summary>
public sealed class NodeObjectWriter
{
    private readonly OptimisticWriter _writer;
    private AppSwitchNodeSpec _spec = new();

    public NodeObjectWriter(IKubernetes client, string nodeName)
    {
        _writer = new OptimisticWriter($"{AppSwitchNode.Plural}.{AppSwitchNode.Group}", null,
            async (_, ct) => VersionOf(await client.CustomObjects.CreateClusterCustomObjectAsync(Body(nodeName, null), AppSwitchNode.Group,
                AppSwitchNode.Version, AppSwitchNode.Plural, cancellationToken: ct)),
            async (version, ct) => VersionOf(await client.CustomObjects.ReplaceClusterCustomObjectAsync(Body(nodeName, version), AppSwitchNode.Group,
                AppSwitchNode.Version, AppSwitchNode.Plural, nodeName, cancellationToken: ct)),
            async ct => VersionOf(await client.CustomObjects.GetClusterCustomObjectAsync(AppSwitchNode.Group, AppSwitchNode.Version,
                AppSwitchNode.Plural, nodeName, ct)));
    }

    public long Writes => _writer.Writes;
    public long Conflicts => _writer.Conflicts;

    public Task WriteAsync(AppSwitchNodeSpec spec, CancellationToken cancellationToken)
    {
        _spec = spec;
        return _writer.WriteAsync(cancellationToken);
    }

    private AppSwitchNode Body(string nodeName, string? resourceVersion) => new()
    {
        Metadata = new() { Name = nodeName, ResourceVersion = resourceVersion, Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "appswitch" } },
        Spec = _spec,
    };

    /// <summary>KubernetesClient hands custom objects back as JSON elements.</summary>
    private static string? VersionOf(object answer) =>
        answer is JsonElement { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("metadata", out var metadata)
        && metadata.TryGetProperty("resourceVersion", out var version) ? version.GetString() : null;
}
