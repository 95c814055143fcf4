using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.NameService;

/// <summary>Builds the DNS server from the daemon options: the domain, and the upstreams for everything else.</summary>
public static class DnsSetup
{
    private const string NodeResolvConf = "/etc/resolv.conf";
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(2);

    public static DnsServer CreateServer(AgentOptions options, ServiceTable table, Kubernetes.KubernetesRegistry kubernetes, ILoggerFactory loggers,
        Metrics.AgentMetrics? metrics = null)
    {
        var logger = loggers.CreateLogger<DnsServer>();
        var upstreams = options.DnsServers.Count > 0 ? options.DnsServers : NodeNameservers(logger);
        if (options.Dns)
            logger.LogInformation("DNS for apps: domain {Domain}, other names forwarded to {Upstreams}", options.DnsDomain,
                upstreams.Count == 0 ? "nobody (SERVFAIL)" : string.Join(",", upstreams));
        var responder = new DnsResponder(new DnsNameResolver(table, kubernetes, options.DnsDomain), new DnsForwarder(upstreams, UpstreamTimeout),
            loggers.CreateLogger<DnsResponder>(), metrics);
        return new DnsServer(table, responder, logger, nodeSide: options.Dns);
    }

    /// <summary>The nameservers of this node's /etc/resolv.conf (none when it cannot be read: logged).</summary>
    public static IReadOnlyList<System.Net.IPEndPoint> NodeNameservers(ILogger logger)
    {
        try
        {
            return DnsSettings.NameserversOf(File.ReadAllText(NodeResolvConf));
        }
        catch (IOException e)
        {
            logger.LogWarning("Cannot read {Path} for upstream DNS servers: {Error}", NodeResolvConf, e.Message);
            return [];
        }
        catch (UnauthorizedAccessException e)
        {
            logger.LogWarning("Cannot read {Path} for upstream DNS servers: {Error}", NodeResolvConf, e.Message);
            return [];
        }
    }
}
