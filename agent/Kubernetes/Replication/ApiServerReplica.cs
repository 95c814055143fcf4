using System.Net;
using System.Text;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>
/// Decides which other nodes' entries the table holds, from the AppSwitchNode objects and the nodes' Leases as
/// listed now: a node's publication is applied while its Lease is fresh, replaced when its object changes, and
/// forgotten when the Lease expires (a dead agent: its connections are reset, as for a gossip death), is released
/// (a graceful stop) or the object is deleted. An object is refused when it claims another node than its name
/// (RBAC lets an agent write only its own object; this check is the reader's half) or its publication does not
/// decode; this node's own object is never applied.
/// </summary>
public sealed class ApiServerReplica(string selfName, ServiceTable table, RuleBook rules, ILogger logger)
{
    private readonly PeerLeases _leases = new();
    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);

    /// <summary>The nodes whose entries the table holds now, with the object version applied.</summary>
    public IReadOnlyDictionary<string, string> Applied => _applied;

    public void Reconcile(IReadOnlyList<AppSwitchNode> objects, IReadOnlyList<k8s.Models.V1Lease> leases, TimeSpan now)
    {
        _leases.Observe(leases, now);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in objects)
        {
            var name = item.Metadata.Name;
            if (name == selfName || !_leases.IsLive(name, now)) continue;
            var version = item.Metadata.ResourceVersion ?? "";
            if (_applied.TryGetValue(name, out var applied) && applied == version)
            {
                wanted.Add(name);
                continue;
            }
            if (Apply(item, version)) wanted.Add(name);
        }
        foreach (var gone in _applied.Keys.Where(n => !wanted.Contains(n)).ToList())
        {
            var expired = _leases.HasExpired(gone, now);
            _applied.Remove(gone);
            rules.RemoveRemote(gone);
            table.RemoveRemote(gone, declaredDead: expired);
            logger.LogInformation("Node {Node} is gone ({Why}); its apps, servers, vservices and rules are removed", gone,
                expired ? "its Lease expired" : "its Lease or AppSwitchNode object is gone");
        }
    }

    private bool Apply(AppSwitchNode item, string version)
    {
        var name = item.Metadata.Name;
        try
        {
            if (item.Spec.Node != name)
                throw new FormatException($"it claims node '{item.Spec.Node}' (an agent publishes only its own node, in the object named after it)");
            if (!IPAddress.TryParse(item.Spec.Address, out var address)) throw new FormatException($"bad node address '{item.Spec.Address}'");
            if (item.Spec.State.ValueKind != System.Text.Json.JsonValueKind.Object) throw new FormatException("spec.state is not an object");
            var from = new RemoteNodeRef(name, address);
            var (apps, servers) = NodeStateCodec.Decode(Encoding.UTF8.GetBytes(item.Spec.State.GetRawText()), from, out var vservices, out var remoteRules);
            table.ReplaceRemote(from, apps, servers, vservices);
            rules.ReplaceRemote(name, remoteRules);
            _applied[name] = version;
            _refused.Remove(name);
            return true;
        }
        catch (FormatException e)
        {
            // Logged once per object version; what was applied of an earlier, valid version is dropped with it.
            if (!_refused.TryGetValue(name, out var refused) || refused != version)
                logger.LogWarning("Ignoring AppSwitchNode {Node} (resourceVersion {Version}): {Reason}", name, version, e.Message);
            _refused[name] = version;
            return false;
        }
    }
}
