namespace AppSwitch.Cli.Output;

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
