using System.Diagnostics.Metrics;

namespace AppSwitch.Agent.Metrics;

/// <summary>
/// Owns the agent's one <see cref="Meter"/> and the instruments the mechanisms record into. Names are final Prometheus
/// names (units and _total in the name) because our own exporter writes them as they are. Labels have few values only
/// (syscall, errno name, answer kind, status code): never app ids, names, addresses or ports, so /metrics reveals counts
/// and nothing a label could leak. The gauges over the table, gossip and relays are read at scrape time
/// (<see cref="Observed.AgentGauges"/>): nothing on the hot path but these few Add/Record calls.
/// </summary>
public sealed class AgentMetrics : IDisposable
{
    public const string MeterName = "AppSwitch.Agent";

    /// <summary>Upper bounds of the connect duration histogram (seconds): a trapped connect takes tens of µs.</summary>
    public static readonly double[] ConnectBuckets = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1];

    public AgentMetrics()
    {
        Meter = new Meter(MeterName);
        TrappedCalls = Meter.CreateCounter<long>("appswitch_trapped_calls_total", null,
            "System calls trapped from apps, by syscall and outcome (ok, continue: the kernel did it, pending: completed later, or the errno answered)");
        ConnectDuration = Meter.CreateHistogram<double>("appswitch_connect_duration_seconds", "s",
            "Agent time per trapped connect: from the notification until it is answered or handed to the completion thread",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ConnectBuckets });
        DnsQueries = Meter.CreateCounter<long>("appswitch_dns_queries_total", null,
            "DNS queries from apps, by answer (address, empty, nxdomain, forwarded, servfail, formerr, notimp)");
        HttpRelayResponses = Meter.CreateCounter<long>("appswitch_http_relay_responses_total", null,
            "Responses the HTTP relay gave its clients, by status code (the upstream's or the relay's own)");
        StateWrites = Meter.CreateCounter<long>("appswitch_state_writes_total", null,
            "Writes of state.json, by result (ok, failed)");
        SocketsFollowed = Meter.CreateCounter<long>("appswitch_sockets_followed_total", null,
            "Apps' connections whose instance left, by transport and what the agent did (repointed: a connected UDP socket moved " +
            "to another instance; kept: none other, it keeps its peer; reset: a TCP connection to a dead node aborted)");
        ControlRefusals = Meter.CreateCounter<long>("appswitch_control_refusals_total", null,
            "Connections to the launcher socket or the REST API the agent closed unserved, by endpoint (launcher, api) and reason " +
            "(timeout: no complete frame in time; evicted: pushed out by newer half-open ones; peer_limit, total_limit: too many at once)");
    }

    public Meter Meter { get; }
    public Counter<long> TrappedCalls { get; }
    public Histogram<double> ConnectDuration { get; }
    public Counter<long> DnsQueries { get; }
    public Counter<long> HttpRelayResponses { get; }
    public Counter<long> StateWrites { get; }
    public Counter<long> SocketsFollowed { get; }
    public Counter<long> ControlRefusals { get; }

    public void Dispose() => Meter.Dispose();
}
