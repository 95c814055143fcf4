using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.NameService;

/// <summary>Turns one DNS message from an app into the answer it gets (never throws for bad input).</summary>
/// <param name="metrics">Counts queries by answer kind (appswitch_dns_queries_total); none in unit tests.</param>
public sealed class DnsResponder(DnsNameResolver resolver, DnsForwarder forwarder, ILogger<DnsResponder> logger, Metrics.AgentMetrics? metrics = null)
{
    private const uint Ttl = 5; // short: apps come and go, and a name may move to another replica
    // A plain UDP answer must fit 512 bytes (RFC 1035): header + question (≤ 259) + 14 records of 16 bytes.
    private const int MaxUdpRecords = 14;
    private static readonly System.Net.IPEndPoint AnyClient = new(System.Net.IPAddress.Any, 0);
    // A misbehaving app could send garbage in a loop: one warning per app every 10 s, the rest at debug level.
    private readonly Cluster.PeerLogLimiter _badMessageLog = new(TimeSpan.FromSeconds(10));

    /// <summary>The answer, or null when the message deserves none (too short to carry an id).</summary>
    public async Task<byte[]?> AnswerAsync(byte[] message, bool overTcp, string appId, CancellationToken cancel)
    {
        DnsQuery query;
        try
        {
            query = DnsCodec.DecodeQuery(message);
        }
        catch (DnsDecodeException e)
        {
            logger.Log(_badMessageLog.ShouldLog(appId, AnyClient) ? LogLevel.Warning : LogLevel.Debug,
                "App {AppId}: bad DNS message of {Length} bytes: {Reason}", appId, message.Length, e.Message);
            Count("formerr");
            return DnsCodec.PeekId(message) is { } id ? DnsCodec.EncodeError(id, DnsRcode.FormErr) : null;
        }
        if (query.Opcode != 0)
        {
            Count("notimp");
            return DnsCodec.EncodeFailure(query, DnsRcode.NotImp);
        }

        switch (resolver.Decide(query.Name, query.Type))
        {
            case DnsDecision.Answer answer:
                logger.LogDebug("App {AppId}: {Name} type {Type} → {Rcode} {Addresses}", appId, query.Name, query.Type,
                    answer.Rcode, string.Join(",", answer.Addresses));
                Count(answer.Rcode == DnsRcode.NxDomain ? "nxdomain" : answer.Addresses.Count > 0 ? "address" : "empty");
                var addresses = overTcp || answer.Addresses.Count <= MaxUdpRecords ? answer.Addresses : answer.Addresses.Take(MaxUdpRecords).ToList();
                return DnsCodec.EncodeAnswer(query, answer.Rcode, addresses, Ttl);
            default:
                var forwarded = await forwarder.ForwardAsync(message, overTcp, cancel);
                if (forwarded is null)
                    logger.LogInformation("App {AppId}: no upstream DNS server ({Upstreams}) answered {Name}: SERVFAIL", appId,
                        forwarder.Upstreams.Count == 0 ? "none configured" : string.Join(",", forwarder.Upstreams), query.Name);
                Count(forwarded is null ? "servfail" : "forwarded");
                return forwarded ?? DnsCodec.EncodeFailure(query, DnsRcode.ServFail);
        }
    }

    private void Count(string answer) => metrics?.DnsQueries.Add(1, new KeyValuePair<string, object?>("answer", answer));
}
