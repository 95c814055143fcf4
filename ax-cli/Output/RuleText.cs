using System.Globalization;
using AppSwitch.Common.Rules;

namespace AppSwitch.Cli.Output;

/// <summary>Compact one-cell spellings of rule parts for the tables: `v2(0.25),v1`, `reviews[v2]`, `delay(v1,p=1,7s)`.</summary>
internal static class RuleText
{
    public static string Source(Rule rule) =>
        rule.Match?.Source is not { } source ? ""
        : (source.Name ?? "*") + (source.Tags is { Count: > 0 } tags ? $"[{string.Join(",", tags)}]" : "");

    public static string Headers(Rule rule) =>
        string.Join(",", (rule.Match?.Headers ?? []).Select(h => $"{h.Key}:{h.Value}"));

    public static string Backends(Rule rule) =>
        string.Join(",", (rule.Route?.Backends ?? []).Select(b =>
            (b.Name is null ? "" : b.Name + ":") + string.Join("+", b.Tags) + (b.Weight is { } w ? $"({Number(w)})" : "")));

    public static string Actions(Rule rule) =>
        string.Join(",", (rule.Actions ?? []).Select(a => a.Action switch
        {
            RuleAction.Delay => $"delay({string.Join("+", a.Tags)},p={Number(a.Probability ?? 0)},{Number(a.Duration ?? 0)}s)",
            RuleAction.Abort => $"abort({string.Join("+", a.Tags)},p={Number(a.Probability ?? 0)},{a.ReturnCode})",
            _ => $"{a.Action}({string.Join("+", a.Tags)},{a.LogKey}={a.LogValue})",
        }));

    public static string Kind(Rule rule) => rule.IsRoute ? "route" : "action";

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
