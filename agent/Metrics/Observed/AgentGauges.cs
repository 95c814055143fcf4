using System.Diagnostics.Metrics;
using AppSwitch.Agent.Api;
using AppSwitch.Agent.L7;
using AppSwitch.Agent.Relay;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Metrics.Observed;

/// <summary>
/// The observable instruments: counts the agent already keeps (table, gossip membership and counters, relay counters,
/// HTTP relay failures), read only when /metrics is scraped, so the hot path does no bookkeeping for them.
/// </summary>
internal sealed class AgentGauges
{
    private static readonly KeyValuePair<string, object?> Local = MetricLabels.Tag("origin", "local");
    private static readonly KeyValuePair<string, object?> Remote = MetricLabels.Tag("origin", "remote");

    public AgentGauges(AgentMetrics metrics, ServiceTable table, INodeDirectory directory, RelayManager relays, HttpRelay httpRelay,
        Rules.RuleBook rules)
    {
        var meter = metrics.Meter;
        meter.CreateObservableGauge("appswitch_apps", () => ByOrigin(table.Apps().Count, table.RemoteCounts().Values.Sum(c => c.Apps)),
            null, "Apps in the service table, this node's (origin=local) and the replicas of other nodes' (origin=remote)");
        meter.CreateObservableGauge("appswitch_servers", () => ByOrigin(table.Servers().Count, table.RemoteCounts().Values.Sum(c => c.Servers)),
            null, "Servers (listening or bound sockets of apps) in the service table, by origin");
        meter.CreateObservableGauge("appswitch_services", () => CountServices(table),
            null, "Services with at least one instance (apps run with --name that serve), as `ax get services` lists them");
        meter.CreateObservableGauge("appswitch_vservices", () => table.AllVServices().Count,
            null, "Virtual services of every node");
        meter.CreateObservableGauge("appswitch_rules", () => rules.Effective().Count,
            null, "Amalgam8 rules in effect (this node's and the replicas')");

        meter.CreateObservableGauge("appswitch_gossip_members", () => directory.Nodes()
                .GroupBy(n => n.State, StringComparer.Ordinal)
                .Select(g => new Measurement<int>(g.Count(), MetricLabels.Tag("state", g.Key))),
            null, "Cluster members this node knows, by state (alive, suspect, dead, left); this node counts itself");
        meter.CreateObservableCounter("appswitch_gossip_sent_bytes_total", () => directory.Stats().BytesSent,
            null, "Gossip bytes sent on the wire (UDP datagrams and TCP frames, after encryption)");
        meter.CreateObservableCounter("appswitch_gossip_received_bytes_total", () => directory.Stats().BytesReceived,
            null, "Gossip bytes received on the wire");
        meter.CreateObservableCounter("appswitch_gossip_decode_failures_total", () => directory.Stats().DecodeFailures + directory.Stats().AuthFailures,
            null, "Gossip datagrams or frames dropped as malformed or failing authentication");

        // Relays carry a protocol label only (tcp, udp, http): their ids and listeners are service names and addresses.
        meter.CreateObservableCounter("appswitch_relay_connections_total",
            () => RelayRecords(relays, httpRelay).GroupBy(r => r.Proto).Select(g => new Measurement<long>(g.Sum(r => r.Connections), ProtoTag(g.Key))),
            null, "Connections accepted by the relays (expose, vservices, HTTP relay), by proto; a removed relay's count leaves the sum");
        meter.CreateObservableGauge("appswitch_relay_active_connections",
            () => RelayRecords(relays, httpRelay).GroupBy(r => r.Proto).Select(g => new Measurement<long>(g.Sum(r => r.Active), ProtoTag(g.Key))),
            null, "Relay connections open now, by proto");
        meter.CreateObservableCounter("appswitch_relay_refused_total",
            () => RelayRecords(relays, httpRelay).GroupBy(r => r.Proto).Select(g => new Measurement<long>(g.Sum(r => r.Refused), ProtoTag(g.Key))),
            null, "Relay connections closed at once (nobody served the route, or the dial failed), by proto");
        meter.CreateObservableCounter("appswitch_relay_bytes_total", () => RelayBytes(relays),
            null, "Bytes the L4 relays copied, by direction (to_target: from clients; to_client: the answers)");
        meter.CreateObservableCounter("appswitch_http_relay_failures_total",
            () => RelayFailures.All.Select(k => new Measurement<long>(httpRelay.Failures[k.Failure], MetricLabels.Tag("cause", k.Name))),
            null, "HTTP relay failures by cause (the causes of `ax get proxies`)");
    }

    private static Measurement<int>[] ByOrigin(int local, int remote) => [new(local, Local), new(remote, Remote)];

    private static int CountServices(ServiceTable table) =>
        Api.ServiceCatalog.Instances(table.AppRecords(), table.ServerRecords()).Select(i => i.ServiceName).Distinct(StringComparer.Ordinal).Count();

    private static IEnumerable<Common.Model.ProxyRecord> RelayRecords(RelayManager relays, HttpRelay httpRelay) =>
        httpRelay.Record() is { } http ? relays.Records().Append(http) : relays.Records();

    private static KeyValuePair<string, object?> ProtoTag(string proto) => MetricLabels.Tag("proto", proto);

    private static Measurement<long>[] RelayBytes(RelayManager relays)
    {
        var records = relays.Records();
        return [new(records.Sum(r => r.BytesIn), MetricLabels.Tag("direction", "to_target")),
                new(records.Sum(r => r.BytesOut), MetricLabels.Tag("direction", "to_client"))];
    }
}
