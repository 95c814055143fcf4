using System.Net;
using AppSwitch.Agent.Table;
using AppSwitch.Agent.Xds.Translation;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Amalgam8 tags over AppSwitch labels without building tag strings on the connect path: the tag `k=v` is the
/// label k with value v, the tag `k` a label k with an empty value.
/// </summary>
internal static class InstanceTags
{
    public static bool HasAll(IReadOnlyDictionary<string, string> labels, IReadOnlyList<string>? tags)
    {
        if (tags is null) return true;
        foreach (var tag in tags)
            if (!Has(labels, tag)) return false;
        return true;
    }

    /// <summary>
    /// A rule's backend or action tags against one server: label tags by its app's labels, xDS subset tags
    /// (<see cref="XdsSubsetTag"/>) by its virtual or node ip:port being an endpoint of that subset's cluster.
    /// </summary>
    public static bool HasAll(RoutingSnapshot snapshot, ServerEntry server, IReadOnlyList<string>? tags)
    {
        if (tags is null) return true;
        foreach (var tag in tags)
        {
            var has = XdsSubsetTag.TryCluster(tag, out var cluster)
                ? snapshot.Xds.Holds(cluster, server.Virtual) || snapshot.Xds.Holds(cluster, server.Node)
                : Has(server.App.Labels, tag);
            if (!has) return false;
        }
        return true;
    }

    /// <summary>The same for a Kubernetes endpoint (pod ip:port) and its tags.</summary>
    public static bool HasAll(RoutingSnapshot snapshot, IPEndPoint endpoint, IReadOnlyList<string> instanceTags, IReadOnlyList<string>? tags)
    {
        if (tags is null) return true;
        foreach (var tag in tags)
            if (XdsSubsetTag.TryCluster(tag, out var cluster) ? !snapshot.Xds.Holds(cluster, endpoint) : !instanceTags.Contains(tag)) return false;
        return true;
    }

    public static bool Has(IReadOnlyDictionary<string, string> labels, string tag)
    {
        var equals = tag.IndexOf('=');
        if (equals < 0) return labels.TryGetValue(tag, out var empty) && empty.Length == 0;
        return labels.TryGetValue(tag[..equals], out var value) && value.AsSpan().SequenceEqual(tag.AsSpan(equals + 1));
    }
}
