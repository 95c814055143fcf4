namespace AppSwitch.Common.Rules;

/// <summary>One reason a rule document is refused: where (`rules[0].route.backends[1].weight`, or a line and column) and why.</summary>
public sealed record RuleProblem(string Path, string Reason)
{
    public override string ToString() => Path.Length == 0 ? Reason : $"{Path}: {Reason}";
}
