using System.Text.RegularExpressions;

namespace AppSwitch.Common.Rules;

/// <summary>
/// What a rule must satisfy on its own (conflicts with stored rules are the store's business). One implementation
/// for `ax create rule` (before sending), the agent's REST API, and rules received from other nodes or read back
/// from the state file.
/// </summary>
public static class RuleValidator
{
    public const int MaxNameLength = 253;
    public const int MaxIdLength = 128;
    public const int MaxRulesPerBatch = 1000;
    private static readonly TimeSpan RegexCheckTimeout = TimeSpan.FromMilliseconds(200);
    private const string NameRule = "up to 253 letters, digits, '-', '_' or '.'";
    private const string IdRule = "up to 128 letters, digits, '-', '_', '.' or ':'";

    /// <summary>The problems of one rule; <paramref name="path"/> prefixes every path (e.g. `rules[3]`).</summary>
    public static void Check(Rule rule, string path, List<RuleProblem> problems)
    {
        void Problem(string field, string reason) => problems.Add(new RuleProblem($"{path}.{field}", reason));

        // Rules read by System.Text.Json (a node's publication, the state file) can hold nulls where the model has
        // none: `null` for a rule, or a string field left out (the source-generated reader leaves it null).
        if (rule is null)
        {
            problems.Add(new RuleProblem(path, "is null, not a rule"));
            return;
        }
        if (rule.Id is null) Problem("id", "must be a string");
        else if (rule.Id.Length > 0 && !IsId(rule.Id)) Problem("id", $"invalid id \"{rule.Id}\": {IdRule}");
        CheckTags(rule.Tags, "tags", Problem, required: false);
        if (string.IsNullOrEmpty(rule.Destination)) Problem("destination", "is required (the name of the service the rule applies to)");
        else if (!IsServiceName(rule.Destination)) Problem("destination", $"invalid service name \"{rule.Destination}\": {NameRule}");

        if (rule.Match is { } match) CheckMatch(match, Problem);
        switch (rule.Route, rule.Actions)
        {
            case (null, null):
                problems.Add(new RuleProblem(path, "a rule needs either `route` (a route rule) or `actions` (an action rule)"));
                break;
            case ({ }, { }):
                problems.Add(new RuleProblem(path, "a rule has either `route` or `actions`, not both"));
                break;
            case ({ } route, null):
                CheckRoute(route, Problem);
                break;
            case (null, { } actions):
                CheckActions(actions, Problem);
                break;
        }
    }

    /// <summary>Checks a batch: each rule, then ids given twice. Returns every problem (empty: the batch is good).</summary>
    public static List<RuleProblem> CheckBatch(IReadOnlyList<(int Index, Rule Rule)> rules)
    {
        var problems = new List<RuleProblem>();
        if (rules.Count > MaxRulesPerBatch)
        {
            problems.Add(new RuleProblem("rules", $"{rules.Count} rules in one document, over {MaxRulesPerBatch}"));
            return problems;
        }
        foreach (var (index, rule) in rules) Check(rule, $"rules[{index}]", problems);
        var firstWithId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (index, rule) in rules)
            if (rule?.Id is { Length: > 0 } && !firstWithId.TryAdd(rule.Id, index))
                problems.Add(new RuleProblem($"rules[{index}].id", $"\"{rule.Id}\" is also the id of rules[{firstWithId[rule.Id]}]"));
        return problems;
    }

    public static bool IsServiceName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static bool IsId(string id) =>
        id.Length is > 0 and <= MaxIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    private static void CheckMatch(RuleMatch match, Action<string, string> problem)
    {
        if (match.Source is { } source)
        {
            if (source.Name is { } name && !IsServiceName(name)) problem("match.source.name", $"invalid service name \"{name}\": {NameRule}");
            CheckTags(source.Tags, "match.source.tags", problem, required: false);
            if (source.Name is null && (source.Tags is null || source.Tags.Count == 0))
                problem("match.source", "needs a name or tags");
        }
        foreach (var (header, pattern) in match.Headers ?? [])
        {
            if (header.Length == 0 || !header.All(c => c > ' ' && c < 127 && c != ':'))
                problem($"match.headers.{header}", "invalid header name");
            else if (RegexProblem(pattern) is { } reason)
                problem($"match.headers.{header}", $"invalid regex: {reason}");
        }
    }

    private static void CheckRoute(RuleRoute route, Action<string, string> problem)
    {
        if (route.Backends is null || route.Backends.Count == 0)
        {
            problem("route.backends", "needs at least one backend");
            return;
        }
        var total = 0.0;
        for (var i = 0; i < route.Backends.Count; i++)
        {
            var backend = route.Backends[i];
            var at = $"route.backends[{i}]";
            if (backend is null)
            {
                problem(at, "is null, not a backend");
                return;
            }
            if (backend.Name is { } name && !IsServiceName(name)) problem($"{at}.name", $"invalid service name \"{name}\": {NameRule}");
            CheckTags(backend.Tags, $"{at}.tags", problem, required: true);
            if (backend.Weight is { } weight)
            {
                if (weight is <= 0 or > 1) problem($"{at}.weight", $"must be in (0, 1], not {weight}");
                else total += weight;
            }
        }
        // Rounding: 0.1 + 0.2 + 0.7 is a little over 1 in binary.
        if (total > 1 + 1e-9) problem("route.backends", $"the weights add up to {Math.Round(total, 6)}, over 1");
        else if (total > 1 - 1e-9 && route.Backends.Any(b => b.Weight is null))
            problem("route.backends", "the weights already add up to 1: the backends without a weight would get nothing");
        if (route.Uri is { } uri)
        {
            if ((uri.Path is null) == (uri.Prefix is null)) problem("route.uri", "needs exactly one of `path` or `prefix`");
            if (uri.Path is { } path && !path.StartsWith('/')) problem("route.uri.path", "must start with '/'");
            if (uri.Prefix is { } prefix && !prefix.StartsWith('/')) problem("route.uri.prefix", "must start with '/'");
            if (uri.PrefixRewrite is { } rewrite && (uri.Prefix is null || !rewrite.StartsWith('/')))
                problem("route.uri.prefix_rewrite", "needs `prefix` and must start with '/'");
        }
        if (route.HttpReqTimeout is <= 0) problem("route.http_req_timeout", "must be a positive number of seconds");
        if (route.HttpReqRetries is < 0) problem("route.http_req_retries", "must be 0 or more");
    }

    private static void CheckActions(IReadOnlyList<RuleAction> actions, Action<string, string> problem)
    {
        if (actions.Count == 0) problem("actions", "needs at least one action");
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var at = $"actions[{i}]";
            if (action is null)
            {
                problem(at, "is null, not an action");
                continue;
            }
            CheckTags(action.Tags, $"{at}.tags", problem, required: true);
            void NotFor(string field, object? value)
            {
                if (value is not null) problem($"{at}.{field}", $"is not a field of a {action.Action} action");
            }
            void Probability()
            {
                if (action.Probability is not { } p) problem($"{at}.probability", "is required");
                else if (p is <= 0 or > 1) problem($"{at}.probability", $"must be in (0, 1], not {p}");
            }
            switch (action.Action)
            {
                case RuleAction.Delay:
                    Probability();
                    if (action.Duration is not { } duration || duration <= 0) problem($"{at}.duration", "is required: a positive number of seconds");
                    NotFor("return_code", action.ReturnCode); NotFor("log_key", action.LogKey); NotFor("log_value", action.LogValue);
                    break;
                case RuleAction.Abort:
                    Probability();
                    if (action.ReturnCode is not { } code || code is < 100 or > 599) problem($"{at}.return_code", "is required: an HTTP status 100-599");
                    NotFor("duration", action.Duration); NotFor("log_key", action.LogKey); NotFor("log_value", action.LogValue);
                    break;
                case RuleAction.Trace:
                    if (string.IsNullOrEmpty(action.LogKey)) problem($"{at}.log_key", "is required");
                    if (string.IsNullOrEmpty(action.LogValue)) problem($"{at}.log_value", "is required");
                    NotFor("probability", action.Probability); NotFor("duration", action.Duration); NotFor("return_code", action.ReturnCode);
                    break;
                case "" or null:
                    problem($"{at}.action", "is required (delay, abort or trace)");
                    break;
                default:
                    problem($"{at}.action", $"unknown action \"{action.Action}\" (delay, abort or trace)");
                    break;
            }
        }
    }

    private static void CheckTags(IReadOnlyList<string>? tags, string field, Action<string, string> problem, bool required)
    {
        if (tags is null || tags.Count == 0)
        {
            if (required) problem(field, "must list at least one tag");
            return;
        }
        for (var i = 0; i < tags.Count; i++)
            if (string.IsNullOrWhiteSpace(tags[i])) problem($"{field}[{i}]", "a tag cannot be empty");
            else if (tags[i].Length > MaxNameLength) problem($"{field}[{i}]", $"a tag is at most {MaxNameLength} characters");
    }

    private static string? RegexProblem(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, RegexCheckTimeout);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
