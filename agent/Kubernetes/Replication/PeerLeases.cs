using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>
/// Which nodes' Leases are fresh. Like Kubernetes' node lifecycle controller, a Lease counts from when this agent
/// saw it renewed (its renewTime or resourceVersion changed), on this agent's clock: the other node's clock may be
/// off. The cost: a stale Lease found at start counts as fresh for one duration.
/// </summary>
public sealed class PeerLeases
{
    private readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);

    /// <summary>Takes the Leases as listed now; forgets nodes whose Lease is gone (deleted: released or removed).</summary>
    public void Observe(IEnumerable<V1Lease> leases, TimeSpan now)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lease in leases)
        {
            if (NodeLeaseKeeper.NodeOf(lease) is not { } node || lease.Spec?.HolderIdentity != node) continue;
            present.Add(node);
            var renewal = $"{lease.Spec.RenewTime:O}/{lease.Metadata.ResourceVersion}";
            var duration = TimeSpan.FromSeconds(Math.Max(1, lease.Spec.LeaseDurationSeconds ?? 40));
            if (!_seen.TryGetValue(node, out var seen) || seen.Renewal != renewal) _seen[node] = new Seen(renewal, now + duration);
        }
        foreach (var gone in _seen.Keys.Where(n => !present.Contains(n)).ToList()) _seen.Remove(gone);
    }

    public bool IsLive(string node, TimeSpan now) => _seen.TryGetValue(node, out var seen) && now < seen.ExpiresAt;

    /// <summary>A node whose Lease exists but ran out (a dead agent), as opposed to one released or never there.</summary>
    public bool HasExpired(string node, TimeSpan now) => _seen.TryGetValue(node, out var seen) && now >= seen.ExpiresAt;

    private sealed record Seen(string Renewal, TimeSpan ExpiresAt);
}
