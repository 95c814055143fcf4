using AppSwitch.Common.Net;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.L7;

/// <summary>
/// Applies a destination's Amalgam8 rules to one request, reading the rule book each time (changes apply to the
/// next request): the highest-priority route rule whose source, header regexes and uri match chooses the instance
/// (by the L4 picker's weights and tags), else a reachable server of the address the app asked for; then the
/// highest-priority matching action rule's actions whose tags the chosen instance carries (delay, abort, trace).
/// </summary>
internal sealed class RequestRouter(IRoutingSnapshotSource routing, ILogger<RequestRouter> logger)
{
    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(50);
    /// <summary>Made on the first header regex: an agent without such rules never loads the regex engine (idle RSS).</summary>
    private ConcurrentDictionary<string, Regex?>? _regexes;

    public RequestPlan Plan(HttpRelayHandoff handoff, HttpHead request)
    {
        var snapshot = routing.Current; // one picture for the whole request
        var client = handoff.Client;
        Rule? chosen = null;
        foreach (var rule in snapshot.Rules.RoutesFor(handoff.Service))
            if (Matches(snapshot, rule, client, request) && UriMatches(rule.Route!.Uri, request.Target)) { chosen = rule; break; }

        var backend = PickBackend(snapshot, handoff, chosen);
        var target = Rewrite(chosen?.Route?.Uri, request.Target);
        var delay = TimeSpan.Zero;
        int? abort = null;
        var traces = new List<(string, string)>();
        if (backend is not null)
            foreach (var rule in snapshot.Rules.ActionsFor(handoff.Service))
            {
                if (rule.ForRoute is { } routeId && routeId != chosen?.Id) continue; // another route's fault (xDS)
                if (!Matches(snapshot, rule, client, request)) continue;
                foreach (var action in rule.Actions!)
                {
                    if (!InstanceTags.HasAll(snapshot, backend, action.Tags)) continue;
                    var happens = Random.Shared.NextDouble() < (action.Probability ?? 1);
                    switch (action.Action)
                    {
                        case RuleAction.Delay when happens: delay += TimeSpan.FromSeconds(action.Duration ?? 0); break;
                        case RuleAction.Abort when happens && abort is null: abort = action.ReturnCode ?? 503; break;
                        case RuleAction.Trace: traces.Add((action.LogKey ?? "", action.LogValue ?? "")); break;
                    }
                }
                break; // the highest-priority matching action rule only
            }
        var timeout = chosen?.Route?.HttpReqTimeout is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        return new RequestPlan(backend, chosen, target, delay, abort, timeout, chosen?.Route?.HttpReqRetries ?? 0, traces,
            chosen?.Route?.HttpReqRetryStatuses);
    }

    /// <summary>Another instance for a retry (the same rule, a new draw).</summary>
    public ServerEntry? Repick(HttpRelayHandoff handoff, Rule? rule) => PickBackend(routing.Current, handoff, rule);

    private static ServerEntry? PickBackend(RoutingSnapshot snapshot, HttpRelayHandoff handoff, Rule? rule)
    {
        var client = handoff.Client;
        bool Reachable(ServerEntry s) => LabelAccess.Allows(client.Labels, s.App.Labels);
        if (rule is not null) return RouteRulePicker.PickInstance(snapshot, rule, handoff.Service, handoff.VirtualDestination.Port, Transport.Tcp, Reachable);
        var servers = snapshot.ServersFor(IpAddresses.Normalize(handoff.VirtualDestination.Address), handoff.VirtualDestination.Port, Transport.Tcp)
            .Where(Reachable).ToList();
        return servers.Count == 0 ? null : servers[Random.Shared.Next(servers.Count)];
    }

    private bool Matches(RoutingSnapshot snapshot, Rule rule, AppEntry client, HttpHead request)
    {
        if (!RouteRulePicker.Matches(rule.Match?.Source, client, snapshot)) return false;
        if (rule.Match?.Headers is not { Count: > 0 } headers) return true;
        foreach (var (name, pattern) in headers)
        {
            if (request.Get(name) is not { } value || Compiled(pattern) is not { } regex) return false;
            try
            {
                if (!regex.IsMatch(value)) return false;
            }
            catch (RegexMatchTimeoutException)
            {
                logger.LogWarning("Rule {Rule}: header regex for {Header} took over {Budget} ms; taken as no match", rule.Id, name,
                    RegexBudget.TotalMilliseconds);
                return false;
            }
        }
        return true;
    }

    private Regex? Compiled(string pattern) => Regexes().GetOrAdd(pattern, p =>
    {
        try { return new Regex(p, RegexOptions.CultureInvariant, RegexBudget); }
        catch (ArgumentException e)
        {
            logger.LogWarning("Header regex \"{Pattern}\" is not valid ({Problem}); its rule matches nothing", p, e.Message);
            return null;
        }
    });

    private ConcurrentDictionary<string, Regex?> Regexes() =>
        LazyInitializer.EnsureInitialized(ref _regexes, () => new ConcurrentDictionary<string, Regex?>(StringComparer.Ordinal));

    private static string PathOf(string target)
    {
        var query = target.IndexOfAny(['?', '#']);
        return query < 0 ? target : target[..query];
    }

    private static bool UriMatches(RuleUri? uri, string target) => uri switch
    {
        null => true,
        { Path: { } path } => PathOf(target) == path,
        { Prefix: { } prefix } => PathOf(target).StartsWith(prefix, StringComparison.Ordinal),
        _ => true,
    };

    private static string Rewrite(RuleUri? uri, string target) =>
        uri is { Prefix: { } prefix, PrefixRewrite: { } rewrite } && target.StartsWith(prefix, StringComparison.Ordinal)
            ? rewrite + target[prefix.Length..]
            : target;
}
