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
            new("PRIORITY", r => r.Priority.ToString(CultureInfo.InvariantCulture)),
            new("KIND", RuleText.Kind),
            new("SOURCE", RuleText.Source),
            new("HEADERS", RuleText.Headers),
            new("BACKENDS/ACTIONS", r => r.IsRoute ? RuleText.Backends(r) : RuleText.Actions(r)),
        ],
        [new("TAGS", r => string.Join(",", r.Tags ?? []))]);

    public static readonly ResourceTable<Rule> Routes = new(
        [
            new("SERVICE", r => r.Destination),
            new("RULE", r => r.Id),
            new("PRIORITY", r => r.Priority.ToString(CultureInfo.InvariantCulture)),
            new("SOURCE", RuleText.Source),
            new("HEADERS", RuleText.Headers),
            new("BACKENDS", RuleText.Backends),
        ],
        []);

    public static readonly ResourceTable<Rule> Actions = new(
        [
            new("SERVICE", r => r.Destination),
            new("RULE", r => r.Id),
            new("PRIORITY", r => r.Priority.ToString(CultureInfo.InvariantCulture)),
            new("SOURCE", RuleText.Source),
            new("HEADERS", RuleText.Headers),
            new("ACTIONS", RuleText.Actions),
        ],
        []);
}
