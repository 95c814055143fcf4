namespace AppSwitch.Agent.Rules;

/// <summary>How a change of the rule book ended (the REST status follows: 2xx, 404, 409).</summary>
public enum RuleStoreOutcome
{
    Done,
    NotFound,
    Conflict,
}
