namespace AppSwitch.Cli.Output;

/// <summary>`-o`/`--output`: the default table, the table with more columns, or the whole records.</summary>
internal enum OutputFormat
{
    Table,
    Wide,
    Json,
    Yaml,
}
