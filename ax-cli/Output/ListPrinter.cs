using System.Text.Json.Serialization.Metadata;

namespace AppSwitch.Cli.Output;

/// <summary>Prints a list of records in the chosen format; an empty table is reported on stderr, as kubectl does.</summary>
internal static class ListPrinter
{
    public const string NothingFound = "No resources found.";

    public static void Print<T>(IReadOnlyList<T> records, OutputFormat format, ResourceTable<T> table,
        JsonTypeInfo<T> itemType, TextWriter stdout, TextWriter stderr)
    {
        switch (format)
        {
            case OutputFormat.Json:
                stdout.Write(JsonListWriter.Format(records, itemType));
                break;
            case OutputFormat.Yaml:
                stdout.Write(YamlWriter.FromJson(JsonListWriter.Format(records, itemType, indented: false)));
                break;
            case OutputFormat.Table or OutputFormat.Wide when records.Count == 0:
                stderr.WriteLine(NothingFound);
                break;
            default:
                stdout.Write(table.Format(records, wide: format == OutputFormat.Wide));
                break;
        }
    }
}
