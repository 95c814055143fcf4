using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AppSwitch.Common.Json;
using AppSwitch.Common.Rules;

namespace AppSwitch.Cli.Output;

/// <summary>
/// Prints rules: tables as the other resources, but `-o json|yaml` in Amalgam8's own shapes (`{"rules":[…]}`,
/// `{"services":{…}}`) rather than the kubectl list envelope, so that `ax get rules -o yaml` is a valid rule document.
/// </summary>
internal static class RulePrinter
{
    private static readonly JsonSerializerOptions Indented = new(ApiJsonContext.Default.Options)
    {
        WriteIndented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void PrintRules(RuleList list, OutputFormat format, TextWriter stdout, TextWriter stderr) =>
        Print(list with { Revision = 0 }, list.Rules, format, RuleTables.Rules, ApiJsonContext.Default.RuleList, stdout, stderr);

    public static void PrintByDestination(RulesByDestination rules, OutputFormat format, ResourceTable<Rule> table, TextWriter stdout,
        TextWriter stderr) =>
        Print(rules, rules.Services.OrderBy(s => s.Key, StringComparer.Ordinal).SelectMany(s => s.Value).ToList(), format, table,
            ApiJsonContext.Default.RulesByDestination, stdout, stderr);

    private static void Print<T>(T document, IReadOnlyList<Rule> rows, OutputFormat format, ResourceTable<Rule> table, JsonTypeInfo<T> type,
        TextWriter stdout, TextWriter stderr)
    {
        switch (format)
        {
            case OutputFormat.Json:
                stdout.Write(JsonSerializer.Serialize(document, (JsonTypeInfo<T>)Indented.GetTypeInfo(typeof(T))) + "\n");
                break;
            case OutputFormat.Yaml:
                stdout.Write(YamlWriter.FromJson(JsonSerializer.Serialize(document, type)));
                break;
            case OutputFormat.Table or OutputFormat.Wide when rows.Count == 0:
                stderr.WriteLine(ListPrinter.NothingFound);
                break;
            default:
                stdout.Write(table.Format(rows, wide: format == OutputFormat.Wide));
                break;
        }
    }
}
