using System.Text;
using AppSwitch.Common.Rules;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace AppSwitch.Tests.Unit.Rules;

/// <summary>Garbage in gives problems, never exceptions: random text, mutated valid documents, random JSON-ish trees.</summary>
public sealed class RuleReaderPropertyTests
{
    private const string Valid = """
        {"rules": [{"id": "r1", "priority": 1, "destination": "helloworld",
          "match": {"source": {"name": "web", "tags": ["v1"]}, "headers": {"Cookie": "^user=(.*)$"}},
          "route": {"backends": [{"weight": 0.25, "tags": ["version=v2"]}, {"tags": ["version=v1"]}]}},
          {"destination": "ratings", "actions": [{"action": "delay", "probability": 0.5, "duration": 2, "tags": ["v1"]}]}]}
        """;

    private const string ValidYaml = """
        rules:
        - id: r1
          destination: helloworld
          route:
            backends:
            - {weight: 0.25, tags: [version=v2]}
            - tags: [version=v1]
        """;

    private static bool NeverThrows(string text)
    {
        var rules = RuleReader.Read(text, out var problems);
        // Either rules or problems, never both, never neither.
        return (rules.Count > 0) != (problems.Count > 0) && problems.All(p => p.ToString().Length > 0);
    }

    [Fact]
    public void Random_text_never_throws() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(ArbMap.Default.ArbFor<string>(), s => NeverThrows(s ?? "")));

    [Fact]
    public void Mutated_valid_documents_never_throw()
    {
        var gen =
            from doc in Gen.Elements(Valid, ValidYaml)
            from position in Gen.Choose(0, doc.Length - 1)
            from length in Gen.Choose(0, 6)
            from replacement in Gen.Elements("", "{", "}", "[", "]", ",", ":", "\"", "-", " ", "\n", "0", "1e999", "-1", "null", "true",
                "  - ", "&a", "*a", "!!binary", "\t", "#", "'", "\\u0000", "é", "9999999999999")
            select doc[..position] + replacement + doc[Math.Min(doc.Length, position + length)..];
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(gen.ToArbitrary(), NeverThrows));
    }

    [Fact]
    public void Random_json_trees_with_rule_field_names_never_throw()
    {
        var names = Gen.Elements("rules", "id", "priority", "tags", "destination", "match", "source", "name", "headers", "route",
            "backends", "weight", "uri", "path", "prefix", "prefix_rewrite", "http_req_timeout", "http_req_retries", "actions", "action",
            "probability", "duration", "return_code", "log_key", "log_value", "x");
        var scalars = Gen.Elements("0", "1", "-1", "0.5", "2147483648", "1e308", "\"\"", "\"v1\"", "\"(\"", "\"delay\"", "true", "null", "[]", "{}");
        Gen<string> Tree(int depth) => depth == 0
            ? scalars
            : Gen.OneOf(
                scalars,
                Gen.Choose(0, 3).SelectMany(n => Tree(depth - 1).ListOf(n)).Select(items => "[" + string.Join(",", items) + "]"),
                Gen.Choose(0, 4).SelectMany(k => names.SelectMany(n => Tree(depth - 1), (n, v) => $"\"{n}\":{v}").ListOf(k))
                    .Select(fields => "{" + string.Join(",", fields.DistinctBy(f => f[..f.IndexOf(':')])) + "}"));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(Tree(5).ToArbitrary(), NeverThrows));
    }

    [Fact]
    public void Deep_nesting_is_a_problem_not_a_crash()
    {
        Assert.True(NeverThrows(new StringBuilder().Insert(0, "[", 10000).ToString()));
        Assert.True(NeverThrows(string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i) + "- \n"))));
        Assert.True(NeverThrows(new StringBuilder().Insert(0, "a: ", 2000).Append('1').ToString()));
        Assert.True(NeverThrows(new StringBuilder().Insert(0, "- ", 100000).Append('1').ToString()));
        Assert.True(NeverThrows("x: " + new StringBuilder().Insert(0, "[", 100000)));
    }
}
