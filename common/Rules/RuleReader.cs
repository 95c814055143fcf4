namespace AppSwitch.Common.Rules;

/// <summary>
/// Reads a rule document (JSON or YAML text) into checked rules: all of them, or none with every problem
/// (`rules[0].route.backends[1].weight: must be in (0, 1], not 1.5`). Garbage gives problems, never exceptions.
/// </summary>
public static class RuleReader
{
    public static IReadOnlyList<Rule> Read(string text, out List<RuleProblem> problems)
    {
        problems = [];
        var root = RuleDocumentParser.Parse(text, out var syntax);
        if (syntax is not null)
        {
            problems.Add(syntax);
            return [];
        }
        List<(int Index, Rule Rule)> bound;
        try
        {
            bound = RuleBinder.Bind(root, problems);
        }
        catch (InvalidOperationException e)
        {
            problems.Add(RuleDocumentParser.UnreadableText(e));
            return [];
        }
        problems.AddRange(RuleValidator.CheckBatch(bound));
        if (problems.Count == 0 && bound.Count == 0) problems.Add(new RuleProblem("rules", "the document has no rules"));
        return problems.Count == 0 ? bound.Select(b => b.Rule).ToList() : [];
    }
}
