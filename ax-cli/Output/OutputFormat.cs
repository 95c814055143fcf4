namespace AppSwitch.Cli.Output;

/// <summary>`-o`/`--output`: the default table, the table with more columns, or the whole records.</summary>
internal enum OutputFormat
{
    Table,
    Wide,
    Json,
    Yaml,
}

internal static class OutputFormats
{
    public const string Choices = "json, yaml or wide";

    public static OutputFormat? Parse(string text) => text switch
    {
        "" => OutputFormat.Table,
        "wide" => OutputFormat.Wide,
        "json" => OutputFormat.Json,
        "yaml" => OutputFormat.Yaml,
        _ => null,
    };
}
