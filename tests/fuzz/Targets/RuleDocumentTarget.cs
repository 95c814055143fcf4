using System.Text;
using AppSwitch.Common.Rules;

namespace AppSwitch.Fuzz.Targets;

/// <summary>A rule document (`ax create rule -f`, PUT /v1/rules) read by <see cref="RuleReader.Read"/>: syntax,
/// binding, validation. Two targets: <see cref="Json"/> makes every input start as JSON, <see cref="Yaml"/> never.</summary>
internal sealed class RuleDocumentTarget(bool json) : IFuzzTarget
{
    public static RuleDocumentTarget Json => new(true);
    public static RuleDocumentTarget Yaml => new(false);

    public string Name => json ? "rules-json" : "rules-yaml";

    // The README's examples (a weighted split, header match, actions), as users write them.
    private const string JsonRule = """
        {"rules": [{"id": "helloworld-v1-v2", "priority": 1, "destination": "helloworld",
          "route": {"backends": [{"tags": ["version=v2"], "weight": 0.25}, {"tags": ["version=v1"]}],
                    "uri": {"prefix": "/api", "prefix_rewrite": "/"}, "http_req_timeout": 2, "http_req_retries": 1}},
         {"id": "beta", "destination": "reviews", "match": {"source": {"name": "web", "tags": ["env=test"]}, "headers": {"Cookie": "^user=beta"}},
          "actions": [{"action": "delay", "tags": ["version=v2"], "probability": 0.5, "duration": 0.2}, {"action": "abort", "tags": ["version=v1"], "return_code": 503, "probability": 0.1}]}]}
        """;

    private const string YamlRule = """
        rules:
        - id: helloworld-v1-v2
          priority: 1
          destination: helloworld
          route:
            backends:
            - {tags: [version=v2], weight: 0.25}
            - tags: [version=v1]
        - id: beta
          destination: reviews
          match:
            source: {name: web, tags: [env=test]}
            headers: {Cookie: "^user=beta"}
          actions:
          - {action: trace, tags: [version=v2], log_key: x, log_value: y}
          - action: abort
            tags: [version=v1]
            return_code: 503
            probability: 0.1
        """;

    public IEnumerable<byte[]> Seeds()
    {
        foreach (var file in SampleRuleFiles()) yield return File.ReadAllBytes(file);
        yield return Encoding.UTF8.GetBytes(json ? JsonRule : YamlRule);
    }

    /// <summary>The repository's own rule documents of this syntax (demos, docs), when run from the tree.</summary>
    private IEnumerable<string> SampleRuleFiles()
    {
        var root = Environment.GetEnvironmentVariable("AX_FUZZ_REPO");
        if (root is null || !Directory.Exists(root)) return [];
        var patterns = json ? new[] { "*rule*.json" } : ["*rule*.yaml", "*rule*.yml"];
        return patterns.SelectMany(p => Directory.EnumerateFiles(root, p, SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && !f.Contains("/out/") && new FileInfo(f).Length < 16 * 1024)
            .Take(10);
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var startsAsJson = text.AsSpan().TrimStart() is ['{' or '[', ..];
        if (json && !startsAsJson) text = "{" + text;
        if (!json && startsAsJson) text = "#\n" + text;
        RuleReader.Read(text, out _); // garbage gives problems, never exceptions
    }
}
