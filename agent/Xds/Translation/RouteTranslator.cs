using System.Text.RegularExpressions;
using AppSwitch.Common.Rules;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Route = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A RouteConfiguration → our route and action rules, in Envoy's order (first match wins → descending priority).
/// Weighted clusters → backend weights with the subset as the tag; header exact/prefix/regex/present matches →
/// anchored header regexes; path prefix/exact → uri; prefix_rewrite; timeout; retries; the fault filter's delay and
/// abort → actions. Anything else (redirects, direct responses, regex paths, query matches, inverted matches,
/// mirrors, hashing) refuses the whole configuration with the first reason: never applied half.
/// </summary>
public static class RouteTranslator
{
    public const string FaultFilter = "envoy.filters.http.fault";

    // Istio puts this retry policy on every route it writes (route/retry/retry.go). It retries connection-level
    // failures only; mapping it would send every Istio route through the HTTP relay, so it is taken as "no retries".
    private const string IstioDefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

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

    private static List<Rule>? TranslateRoute(string configName, VirtualHost host, Route route, int priority, out string? reason)
    {
        reason = null;
        if (route.ActionCase != Route.ActionOneofCase.Route_) return Refuse($"a {route.ActionCase} action is not supported (only route)", out reason);
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
        var retries = Retries(action.RetryPolicy ?? host.RetryPolicy, out reason);
        if (reason is not null) return null;
        var timeout = action.Timeout is { } t && t.ToTimeSpan() > TimeSpan.Zero ? t.ToTimeSpan().TotalSeconds : (double?)null;

        var id = $"xds:{configName}/{host.Name}/{(route.Name.Length > 0 ? route.Name : priority.ToString())}";
        var rules = new List<Rule>
        {
            new()
            {
                Id = id, Priority = priority, Destination = destination!, Match = match,
                Route = new RuleRoute { Backends = backends, Uri = uri, HttpReqTimeout = timeout, HttpReqRetries = retries },
            },
        };
        var faults = Faults(route, host, out reason);
        if (faults is null) return null;
        if (faults.Count > 0)
        {
            // Actions apply to the instances the route sends to: one action rule per backend's tags.
            var actions = backends.SelectMany(b => faults.Select(f => f with { Tags = [.. b.Tags] })).Distinct(ActionComparer.Instance).ToList();
            rules.Add(new Rule { Id = id + "/fault", Priority = priority, Destination = destination!, Match = match, Actions = actions });
        }
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
                Tags = cluster.Subset.Length > 0 ? [cluster.Subset] : [],
                Weight = action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.WeightedClusters ? weight : null,
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

    private static int? Retries(RetryPolicy? policy, out string? reason)
    {
        reason = null;
        if (policy is null || policy.RetryOn == IstioDefaultRetryOn) return null;
        if (policy.PerTryTimeout is { } perTry && perTry.ToTimeSpan() > TimeSpan.Zero)
        {
            reason = "per-try timeouts are not supported";
            return null;
        }
        var attempts = (int)(policy.NumRetries ?? 1);
        return attempts > 0 ? attempts : null;
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

    private sealed class ActionComparer : IEqualityComparer<RuleAction>
    {
        public static readonly ActionComparer Instance = new();
        public bool Equals(RuleAction? a, RuleAction? b) => a is not null && b is not null && a.Action == b.Action && a.Tags.SequenceEqual(b.Tags);
        public int GetHashCode(RuleAction a) => HashCode.Combine(a.Action, string.Join(',', a.Tags));
    }
}
