using System.Globalization;
using AppSwitch.Common.Rules;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get rules|routes|actions` tables (a8ctl's rule-get, route-list and action-list).</summary>
internal static class RuleTables
{
    public static readonly ResourceTable<Rule> Rules = new(
        [
            new("ID", r => r.Id),
            new("DESTINATION", r => r.Destination),
            new("PRIORITY", Priority),
            new("KIND", RuleText.Kind),
            new("SOURCE", RuleText.Source),
            new("HEADERS", RuleText.Headers),
            new("BACKENDS/ACTIONS", r => r.IsRoute ? RuleText.Backends(r) : RuleText.Actions(r)),
        ],
        [new("TAGS", r => string.Join(",", r.Tags ?? []))]);

    public static readonly ResourceTable<Rule> Routes = PerService(new("BACKENDS", RuleText.Backends));

    public static readonly ResourceTable<Rule> Actions = PerService(new("ACTIONS", RuleText.Actions));

    /// <summary>Routes and actions list the same columns, then what the rule does.</summary>
    private static ResourceTable<Rule> PerService(Column<Rule> effect) => new(
        [
            new("SERVICE", r => r.Destination),
            new("RULE", r => r.Id),
            new("PRIORITY", Priority),
            new("SOURCE", RuleText.Source),
            new("HEADERS", RuleText.Headers),
            effect,
        ],
        []);

    private static string Priority(Rule rule) => rule.Priority.ToString(CultureInfo.InvariantCulture);
}
