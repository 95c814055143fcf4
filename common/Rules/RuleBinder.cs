using System.Text.Json;
using System.Text.Json.Nodes;

namespace AppSwitch.Common.Rules;

/// <summary>
/// Binds a JSON tree (from JSON or YAML) to rules, field by field, so that every wrong type and every unknown
/// field is reported with its path (`rules[0].route.backends[1].weight`). Accepts `{"rules":[…]}`, a bare list of
/// rules, or one rule object. Semantic checks are <see cref="RuleValidator"/>'s.
/// </summary>
internal sealed class RuleBinder
{
    private static readonly string[] RuleFields = ["id", "priority", "tags", "destination", "match", "route", "actions"];
    private static readonly string[] MatchFields = ["source", "headers"];
    private static readonly string[] SourceFields = ["name", "tags"];
    private static readonly string[] RouteFields = ["backends", "uri", "http_req_timeout", "http_req_retries"];
    private static readonly string[] BackendFields = ["name", "tags", "weight"];
    private static readonly string[] UriFields = ["path", "prefix", "prefix_rewrite"];
    private static readonly string[] ActionFields = ["action", "tags", "probability", "duration", "return_code", "log_key", "log_value"];

    private readonly List<RuleProblem> _problems;

    private RuleBinder(List<RuleProblem> problems) => _problems = problems;

    /// <summary>The rules that bound cleanly, each with its index in the document (for the validator's paths).</summary>
    public static List<(int Index, Rule Rule)> Bind(JsonNode? root, List<RuleProblem> problems)
    {
        var binder = new RuleBinder(problems);
        switch (root)
        {
            case JsonObject obj when obj.ContainsKey("rules"):
                foreach (var key in obj.Select(p => p.Key).Where(k => k is not ("rules" or "revision")))
                    binder.Problem(key, "unknown field (the document has `rules` and optionally `revision`)");
                if (obj["rules"] is JsonArray list) return binder.Rules(list);
                binder.Problem("rules", "must be a list of rules");
                return [];
            case JsonArray bare:
                return binder.Rules(bare);
            case JsonObject single:
                return binder.Rule(single, "rules[0]") is { } rule ? [(0, rule)] : [];
            default:
                binder.Problem("", "a rule document is {\"rules\": [...]}, a list of rules or one rule object");
                return [];
        }
    }

    private List<(int Index, Rule Rule)> Rules(JsonArray list)
    {
        var rules = new List<(int, Rule)>();
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"rules[{i}]";
            if (list[i] is JsonObject obj) { if (Rule(obj, path) is { } rule) rules.Add((i, rule)); }
            else Problem(path, "must be an object");
        }
        return rules;
    }

    private Rule? Rule(JsonObject obj, string path)
    {
        var before = _problems.Count;
        Unknown(obj, path, RuleFields);
        var rule = new Rule
        {
            Id = String(obj, path, "id") ?? "",
            Priority = Integer(obj, path, "priority") ?? 0,
            Tags = StringList(obj, path, "tags"),
            Destination = String(obj, path, "destination") ?? "",
            Match = Object(obj, path, "match") is { } match ? Match(match, $"{path}.match") : null,
            Route = Object(obj, path, "route") is { } route ? Route(route, $"{path}.route") : null,
            Actions = List(obj, path, "actions") is { } actions ? Actions(actions, $"{path}.actions") : null,
        };
        return _problems.Count == before ? rule : null;
    }

    private RuleMatch Match(JsonObject obj, string path)
    {
        Unknown(obj, path, MatchFields);
        return new RuleMatch
        {
            Source = Object(obj, path, "source") is { } source ? Source(source, $"{path}.source") : null,
            Headers = Object(obj, path, "headers") is { } headers ? Headers(headers, $"{path}.headers") : null,
        };
    }

    private RuleSource Source(JsonObject obj, string path)
    {
        Unknown(obj, path, SourceFields);
        return new RuleSource { Name = String(obj, path, "name"), Tags = StringList(obj, path, "tags") };
    }

    private Dictionary<string, string> Headers(JsonObject obj, string path)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in obj)
            if (String(obj, path, name) is { } regex && !headers.TryAdd(name, regex))
                Problem($"{path}.{name}", "header given twice (header names ignore case)");
        return headers;
    }

    private RuleRoute Route(JsonObject obj, string path)
    {
        Unknown(obj, path, RouteFields);
        var backends = new List<RuleBackend>();
        if (List(obj, path, "backends") is { } list)
            for (var i = 0; i < list.Count; i++)
            {
                var itemPath = $"{path}.backends[{i}]";
                if (list[i] is not JsonObject backend) { Problem(itemPath, "must be an object"); continue; }
                Unknown(backend, itemPath, BackendFields);
                backends.Add(new RuleBackend
                {
                    Name = String(backend, itemPath, "name"), Tags = StringList(backend, itemPath, "tags") ?? [],
                    Weight = Number(backend, itemPath, "weight"),
                });
            }
        else Problem($"{path}.backends", "is required (a list of {tags, weight?})");
        return new RuleRoute
        {
            Backends = backends,
            Uri = Object(obj, path, "uri") is { } uri ? Uri(uri, $"{path}.uri") : null,
            HttpReqTimeout = Number(obj, path, "http_req_timeout"),
            HttpReqRetries = Integer(obj, path, "http_req_retries"),
        };
    }

    private RuleUri Uri(JsonObject obj, string path)
    {
        Unknown(obj, path, UriFields);
        return new RuleUri { Path = String(obj, path, "path"), Prefix = String(obj, path, "prefix"), PrefixRewrite = String(obj, path, "prefix_rewrite") };
    }

    private List<RuleAction> Actions(JsonArray list, string path)
    {
        var actions = new List<RuleAction>();
        for (var i = 0; i < list.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (list[i] is not JsonObject action) { Problem(itemPath, "must be an object"); continue; }
            Unknown(action, itemPath, ActionFields);
            actions.Add(new RuleAction
            {
                Action = String(action, itemPath, "action") ?? "", Tags = StringList(action, itemPath, "tags") ?? [],
                Probability = Number(action, itemPath, "probability"), Duration = Number(action, itemPath, "duration"),
                ReturnCode = Integer(action, itemPath, "return_code"),
                LogKey = String(action, itemPath, "log_key"), LogValue = String(action, itemPath, "log_value"),
            });
        }
        return actions;
    }

    private void Unknown(JsonObject obj, string path, string[] known)
    {
        foreach (var (key, _) in obj)
            if (!known.Contains(key)) Problem(Join(path, key), $"unknown field (known: {string.Join(", ", known)})");
    }

    private string? String(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String) return value.GetValue<string>();
        // YAML's plain scalars: an id or tag written as 123 or true is meant as text.
        if (node is JsonValue scalar && scalar.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            return scalar.ToJsonString();
        Problem(Join(path, field), "must be a string");
        return null;
    }

    private int? Integer(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<JsonElement>(out var element)
            && element.TryGetInt32(out var integer))
            return integer;
        if (node is JsonValue v2 && v2.TryGetValue<long>(out var big) && big is >= int.MinValue and <= int.MaxValue) return (int)big;
        Problem(Join(path, field), "must be an integer");
        return null;
    }

    private double? Number(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue value)
        {
            if (value.TryGetValue<JsonElement>(out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var d)
                && double.IsFinite(d))
                return d;
            if (value.TryGetValue<double>(out var number) && double.IsFinite(number)) return number;
            if (value.TryGetValue<long>(out var integer)) return integer;
        }
        Problem(Join(path, field), "must be a number");
        return null;
    }

    private List<string>? StringList(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is not JsonArray array)
        {
            Problem(Join(path, field), "must be a list of strings");
            return null;
        }
        var items = new List<string>();
        for (var i = 0; i < array.Count; i++)
        {
            var item = array[i];
            if (item is JsonValue value && value.GetValueKind() == JsonValueKind.String) items.Add(value.GetValue<string>());
            else if (item is JsonValue scalar && scalar.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                items.Add(scalar.ToJsonString());
            else Problem($"{Join(path, field)}[{i}]", "must be a string");
        }
        return items;
    }

    private JsonObject? Object(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonObject child) return child;
        Problem(Join(path, field), "must be an object");
        return null;
    }

    private JsonArray? List(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonArray child) return child;
        Problem(Join(path, field), "must be a list");
        return null;
    }

    private void Problem(string path, string reason) => _problems.Add(new RuleProblem(path, reason));

    private static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";
}
