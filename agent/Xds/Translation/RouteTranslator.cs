using System.Text.RegularExpressions;
using AppSwitch.Common.Rules;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Route = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A RouteConfiguration → our route and action rules, in Envoy's order (first match wins → descending priority).
/// Weighted clusters → backend weights, a subset cluster as an <see cref="XdsSubsetTag"/> (membership by EDS address); header exact/prefix/regex/present matches →
/// anchored header regexes; path prefix/exact → uri; prefix_rewrite; timeout; retries with the statuses retry_on names;
/// the fault filter's delay and abort → an action rule bound to its route (<see cref="Rule.ForRoute"/>). Anything else (redirects, direct responses, regex paths, query matches, inverted matches,
/// mirrors, hashing) refuses the whole configuration with the first reason: never applied half. Istio's catch-all
/// virtual host (allow_any / block_all) becomes no rule: it says the outbound policy (<see cref="Egress"/>).
/// </summary>
public static class RouteTranslator
{
    public const string FaultFilter = "envoy.filters.http.fault";

    // Istio puts this retry policy on every route it writes (route/retry/retry.go). It retries connection-level
    // failures only; mapping it would send every Istio route through the HTTP relay, so it is taken as "no retries".
    private const string IstioDefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>The outbound policy the configuration's catch-all virtual host says, if it has one (it translated).</summary>
    public static XdsEgressSignal? Egress(RouteConfiguration config)
    {
        foreach (var host in config.VirtualHosts)
            if (IstioCatchAll.TryVirtualHost(config.Name, host, out var signal, out _)) return signal;
        return null;
    }

    /// <summary>Null when the configuration translates; else why not.</summary>
    public static string? Check(RouteConfiguration config)
    {
        Translate(config, out var reason);
        return reason;
    }

    public static IReadOnlyList<Rule>? Translate(RouteConfiguration config, out string? reason)
    {
        reason = null;
        var rules = new List<Rule>();
        foreach (var host in config.VirtualHosts)
        {
            // Istio's catch-all (allow_any / block_all) says the outbound policy: read by Egress, no rule of ours.
            if (IstioCatchAll.TryVirtualHost(config.Name, host, out _, out var catchAllReason))
            {
                if (catchAllReason is null) continue;
                reason = $"virtual host {host.Name}: {catchAllReason}";
                return null;
            }
            var priority = host.Routes.Count;
            for (var i = 0; i < host.Routes.Count; i++, priority--)
            {
                var route = host.Routes[i];
                var where = $"virtual host {host.Name}, route {(route.Name.Length > 0 ? route.Name : i.ToString())}";
                var translated = TranslateRoute(config.Name, host, route, priority, out var why);
                if (translated is null)
                {
                    reason = $"{where}: {why}";
                    return null;
                }
                rules.AddRange(translated);
            }
        }
        return rules;
    }

    // Envoy's field numbers of parts we neither declare nor honour, for readable refusals.
    private static readonly Dictionary<int, string> RouteFieldNames = new()
    {
        [9] = "request_headers_to_add", [10] = "response_headers_to_add", [11] = "response_headers_to_remove",
        [12] = "request_headers_to_remove", [16] = "per_request_buffer_limit_bytes", [17] = "filter_action",
    };
    private static readonly Dictionary<int, string> ActionFieldNames = new()
    {
        [4] = "metadata_match", [7] = "auto_host_rewrite", [11] = "priority", [13] = "rate_limits", [15] = "hash_policy",
        [17] = "cors", [24] = "idle_timeout", [25] = "upgrade_configs", [27] = "hedge_policy", [29] = "host_rewrite_header",
        [33] = "retry_policy_typed_config", [34] = "internal_redirect_policy", [41] = "path_rewrite_policy",
    };
    private static readonly Dictionary<int, string> FaultFieldNames = new() { [7] = "response_rate_limit", [10] = "disable_downstream_cluster_stats" };
    private static readonly Dictionary<int, string> NoNames = [];
    // Undeclared parts that change nothing the relay does: tracing decorations and stats, gRPC stream timeouts that
    // istiod sets equal to the route timeout, the not-found code (503, as ours), retry host choice (we draw anew).
    private static readonly HashSet<int> HarmlessRouteFields = [5, 15, 19];
    private static readonly HashSet<int> HarmlessActionFields = [20, 23, 28, 36];
    private static readonly HashSet<int> HarmlessRetryFields = [4, 5, 6];
    private static readonly HashSet<int> HarmlessHostFields = [14, 19];
    private static readonly HashSet<int> None = [];

    private static string? Undeclared(VirtualHost host, Route route) =>
        UndeclaredFields.Refusal(route, "route", RouteFieldNames, HarmlessRouteFields)
        ?? UndeclaredFields.Refusal(route.Route_, "route action", ActionFieldNames, HarmlessActionFields)
        ?? UndeclaredFields.Refusal(route.Match, "route match", NoNames, None)
        ?? route.Match?.Headers.Select(h => UndeclaredFields.Refusal(h, $"header matcher {h.Name}", NoNames, None)).FirstOrDefault(r => r is not null)
        ?? UndeclaredFields.Refusal(route.Route_?.RetryPolicy ?? host.RetryPolicy, "retry policy", NoNames, HarmlessRetryFields)
        ?? UndeclaredFields.Refusal(host, "virtual host", NoNames, HarmlessHostFields);

    private static List<Rule>? TranslateRoute(string configName, VirtualHost host, Route route, int priority, out string? reason)
    {
        reason = null;
        if (route.ActionCase != Route.ActionOneofCase.Route_) return Refuse($"a {route.ActionCase} action is not supported (only route)", out reason);
        if (Undeclared(host, route) is { } undeclared) return Refuse(undeclared, out reason);
        var action = route.Route_;
        if (action.RequestMirrorPolicies.Count > 0) return Refuse("request mirroring is not supported", out reason);
        if (action.RegexRewrite is not null) return Refuse("regex_rewrite is not supported", out reason);
        if (action.HostRewriteSpecifierCase != RouteAction.HostRewriteSpecifierOneofCase.None) return Refuse("host rewrite is not supported", out reason);

        var backends = Backends(action, out var destination, out reason);
        if (backends is null) return null;
        var match = Match(route.Match, out var uri, out reason);
        if (reason is not null) return null;
        if (action.PrefixRewrite.Length > 0)
        {
            if (uri?.Path is not null) return Refuse("prefix_rewrite with an exact path match is not supported", out reason);
            uri = (uri ?? new RuleUri { Prefix = "/" }) with { PrefixRewrite = action.PrefixRewrite };
        }
        var (retries, retryStatuses) = Retries(action.RetryPolicy ?? host.RetryPolicy, out reason);
        if (reason is not null) return null;
        var timeout = action.Timeout is { } t && t.ToTimeSpan() > TimeSpan.Zero ? t.ToTimeSpan().TotalSeconds : (double?)null;

        var id = $"xds:{configName}/{host.Name}/{(route.Name.Length > 0 ? route.Name : priority.ToString())}";
        var rules = new List<Rule>
        {
            new()
            {
                Id = id, Priority = priority, Destination = destination!, Match = match,
                Route = new RuleRoute { Backends = backends, Uri = uri, HttpReqTimeout = timeout, HttpReqRetries = retries, HttpReqRetryStatuses = retryStatuses },
            },
        };
        var faults = Faults(route, host, out reason);
        if (faults is null) return null;
        // Envoy's fault filter acts on the route that matched, whichever cluster it then picks: no tags, bound to the route.
        if (faults.Count > 0)
            rules.Add(new Rule { Id = id + "/fault", Priority = priority, Destination = destination!, Match = match, Actions = faults, ForRoute = id });
        return rules;
    }

    private static List<RuleBackend>? Backends(RouteAction action, out string? destination, out string? reason)
    {
        destination = null;
        reason = null;
        var targets = action.ClusterSpecifierCase switch
        {
            RouteAction.ClusterSpecifierOneofCase.Cluster => new List<(string Name, uint Weight)> { (action.Cluster, 0u) },
            RouteAction.ClusterSpecifierOneofCase.WeightedClusters => action.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight ?? 0u)).ToList(),
            _ => null,
        };
        if (targets is null) return Refuse<RuleBackend>($"cluster specifier {action.ClusterSpecifierCase} is not supported", out reason);
        if (action.WeightedClusters?.Clusters.Any(c => c.TypedPerFilterConfig.Count > 0) == true)
            return Refuse<RuleBackend>("per-cluster filter config is not supported", out reason);
        var backends = new List<RuleBackend>();
        foreach (var (name, weight) in targets)
        {
            if (!IstioClusterName.TryParse(name, out var cluster) || cluster.Direction != "outbound")
                return Refuse<RuleBackend>($"cluster \"{name}\" is not an Istio outbound cluster", out reason);
            var service = IstioHost.ServiceName(cluster.Host);
            destination ??= service;
            backends.Add(new RuleBackend
            {
                Name = service == destination ? null : service,
                Tags = cluster.Subset.Length > 0 ? [XdsSubsetTag.Of(name)] : [],
                Weight = action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.WeightedClusters ? weight : null,
                XdsCluster = name,
            });
        }
        if (backends.Count == 0) return Refuse<RuleBackend>("weighted_clusters without clusters", out reason);
        if (action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.WeightedClusters)
        {
            // Our weights are fractions of 1; Envoy's are shares of their sum (total_weight is deprecated).
            var total = backends.Sum(b => b.Weight ?? 0);
            if (total <= 0) return Refuse<RuleBackend>("weighted_clusters whose weights are all 0", out reason);
            backends = backends.Where(b => b.Weight > 0).Select(b => b with { Weight = b.Weight / total }).ToList();
        }
        return backends;
    }

    private static RuleMatch? Match(RouteMatch? match, out RuleUri? uri, out string? reason)
    {
        uri = null;
        reason = null;
        if (match is null) return null;
        if (match.QueryParameters.Count > 0) return RefuseMatch("query parameter matches are not supported", out reason);
        if (match.CaseSensitive == false && !(match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix && match.Prefix == "/"))
            return RefuseMatch("case-insensitive path matches are not supported", out reason);
        switch (match.PathSpecifierCase)
        {
            case RouteMatch.PathSpecifierOneofCase.Prefix:
                if (match.Prefix is not ("" or "/")) uri = new RuleUri { Prefix = match.Prefix };
                break;
            case RouteMatch.PathSpecifierOneofCase.Path:
                uri = new RuleUri { Path = match.Path };
                break;
            case RouteMatch.PathSpecifierOneofCase.None:
                break;
            default:
                return RefuseMatch($"a {match.PathSpecifierCase} path match is not supported (prefix and exact path are)", out reason);
        }
        if (match.Headers.Count == 0) return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in match.Headers)
        {
            var pattern = HeaderPattern(header, out reason);
            if (pattern is null) return null;
            if (!headers.TryAdd(header.Name, pattern)) return RefuseMatch($"header {header.Name} is matched twice", out reason);
        }
        return new RuleMatch { Headers = headers };
    }

    // Our header matches are .NET regexes searched in the value: anchor them to keep Envoy's whole-value semantics.
    private static string? HeaderPattern(HeaderMatcher header, out string? reason)
    {
        reason = null;
        if (header.Name.StartsWith(':')) return RefuseHeader($"pseudo-header {header.Name} matches are not supported", out reason);
        if (header.InvertMatch) return RefuseHeader($"inverted match on {header.Name} is not supported", out reason);
        if (header.TreatMissingHeaderAsEmpty) return RefuseHeader($"treat_missing_header_as_empty on {header.Name} is not supported", out reason);
        string? invalid = null;
        string? Whole(string regex) => IsRegex(regex, header.Name, out invalid) ? $"^(?:{regex})$" : null;
        var pattern = header.HeaderMatchSpecifierCase switch
        {
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => $"^{Regex.Escape(header.ExactMatch)}$",
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => $"^{Regex.Escape(header.PrefixMatch)}",
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch => Whole(header.SafeRegexMatch.Regex),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch when header.PresentMatch => "",
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch when !header.StringMatch.IgnoreCase => header.StringMatch.MatchPatternCase switch
            {
                Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Exact => $"^{Regex.Escape(header.StringMatch.Exact)}$",
                Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Prefix => $"^{Regex.Escape(header.StringMatch.Prefix)}",
                Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.SafeRegex => Whole(header.StringMatch.SafeRegex.Regex),
                var other => RefuseHeader($"a {other} match on header {header.Name} is not supported", out invalid),
            },
            var other => RefuseHeader($"a {other} match on header {header.Name} is not supported (exact, prefix, regex, present are)", out invalid),
        };
        reason = invalid;
        return pattern;
    }

    private static bool IsRegex(string pattern, string header, out string? reason)
    {
        reason = null;
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
            return true;
        }
        catch (ArgumentException e)
        {
            reason = $"header {header}: regex does not parse ({e.Message})";
            return false;
        }
    }

    /// <summary>
    /// Attempts and the statuses retried (null: every 5xx). The relay retries a failed upstream connect whenever a
    /// route has retries, so the connection-level conditions need nothing more; gRPC-status conditions never fire on
    /// the HTTP/1.1 the relay carries. Any other condition refuses the route (it would be retried differently).
    /// </summary>
    private static (int? Attempts, List<int>? Statuses) Retries(RetryPolicy? policy, out string? reason)
    {
        reason = null;
        if (policy is null || policy.RetryOn == IstioDefaultRetryOn || policy.RetryOn.Length == 0) return (null, null);
        if (policy.PerTryTimeout is { } perTry && perTry.ToTimeSpan() > TimeSpan.Zero) return RefuseRetries("per-try timeouts are not supported", out reason);
        var attempts = (int)Math.Min(policy.NumRetries ?? 1, 100);
        if (attempts <= 0) return (null, null);
        var every5xx = false;
        var statuses = new SortedSet<int>();
        foreach (var condition in policy.RetryOn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            switch (condition)
            {
                case "5xx": every5xx = true; break;
                case "gateway-error": statuses.UnionWith([502, 503, 504]); break;
                case "retriable-4xx": statuses.Add(409); break;
                case "retriable-status-codes":
                    if (policy.RetriableStatusCodes.Where(c => c is < 100 or > 599).Select(c => (uint?)c).FirstOrDefault() is { } bad)
                        return RefuseRetries($"retriable status code {bad} is not an HTTP status", out reason);
                    statuses.UnionWith(policy.RetriableStatusCodes.Select(c => (int)c));
                    break;
                case "connect-failure" or "reset" or "refused-stream":
                case "cancelled" or "deadline-exceeded" or "internal" or "resource-exhausted" or "unavailable":
                    break;
                default:
                    return RefuseRetries($"retry_on \"{condition}\" is not supported (5xx, gateway-error, retriable-4xx, " +
                        "retriable-status-codes, connect-failure, reset, refused-stream are)", out reason);
            }
        if (every5xx)
        {
            if (statuses.All(s => s >= 500)) return (attempts, null);
            statuses.UnionWith(Enumerable.Range(500, 100));
        }
        return (attempts, [.. statuses]);
    }

    private static (int?, List<int>?) RefuseRetries(string why, out string reason)
    {
        reason = why;
        return (null, null);
    }

    private static List<RuleAction>? Faults(Route route, VirtualHost host, out string? reason)
    {
        reason = null;
        var any = route.TypedPerFilterConfig.GetValueOrDefault(FaultFilter) ?? host.TypedPerFilterConfig.GetValueOrDefault(FaultFilter);
        var others = route.TypedPerFilterConfig.Keys.Concat(host.TypedPerFilterConfig.Keys).FirstOrDefault(k => k != FaultFilter);
        if (others is not null) return Refuse<RuleAction>($"filter config for {others} is not supported", out reason);
        if (any is null) return [];
        if (!any.Is(HTTPFault.Descriptor)) return Refuse<RuleAction>($"{FaultFilter} config is a {any.TypeUrl}", out reason);
        var fault = any.Unpack<HTTPFault>();
        if (UndeclaredFields.Refusal(fault, "fault", FaultFieldNames, None) is { } undeclared) return Refuse<RuleAction>(undeclared, out reason);
        if (fault.Headers.Count > 0 || fault.DownstreamNodes.Count > 0 || fault.UpstreamCluster.Length > 0 || fault.MaxActiveFaults is not null)
            return Refuse<RuleAction>("fault conditions (headers, nodes, upstream cluster, max active) are not supported", out reason);
        var actions = new List<RuleAction>();
        if (fault.Delay is { } delay)
        {
            if (delay.FaultDelaySecifierCase != Envoy.Extensions.Filters.Common.Fault.V3.FaultDelay.FaultDelaySecifierOneofCase.FixedDelay)
                return Refuse<RuleAction>("only fixed fault delays are supported", out reason);
            actions.Add(new RuleAction { Action = RuleAction.Delay, Probability = Fraction(delay.Percentage), Duration = delay.FixedDelay.ToTimeSpan().TotalSeconds });
        }
        if (fault.Abort is { } abort)
        {
            if (abort.ErrorTypeCase != FaultAbort.ErrorTypeOneofCase.HttpStatus || abort.HttpStatus is < 200 or > 599)
                return Refuse<RuleAction>("only HTTP-status fault aborts (200-599) are supported", out reason);
            actions.Add(new RuleAction { Action = RuleAction.Abort, Probability = Fraction(abort.Percentage), ReturnCode = (int)abort.HttpStatus });
        }
        return actions;
    }

    /// <summary>A FractionalPercent as a probability in [0, 1]; Envoy's default when absent is 100%.</summary>
    public static double Fraction(Envoy.Type.V3.FractionalPercent? percent)
    {
        if (percent is null) return 1;
        var denominator = percent.Denominator switch
        {
            Envoy.Type.V3.FractionalPercent.Types.DenominatorType.TenThousand => 10_000.0,
            Envoy.Type.V3.FractionalPercent.Types.DenominatorType.Million => 1_000_000.0,
            _ => 100.0,
        };
        return Math.Min(1, percent.Numerator / denominator);
    }

    private static List<T>? Refuse<T>(string why, out string reason)
    {
        reason = why;
        return null;
    }

    private static List<Rule>? Refuse(string why, out string reason) => Refuse<Rule>(why, out reason);

    private static RuleMatch? RefuseMatch(string why, out string reason)
    {
        reason = why;
        return null;
    }

    private static string? RefuseHeader(string why, out string? reason)
    {
        reason = why;
        return null;
    }
}
