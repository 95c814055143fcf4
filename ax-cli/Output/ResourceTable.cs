namespace AppSwitch.Cli.Output;

/// <summary>The columns `ax get` shows for a resource; <see cref="WideColumns"/> are added by `-o wide`.</summary>
internal sealed record ResourceTable<T>(IReadOnlyList<Column<T>> Columns, IReadOnlyList<Column<T>> WideColumns)
{
    /// <summary>What an empty value shows as, so that every column keeps a word (`awk` friendly, as in kubectl).</summary>
    public const string None = "<none>";

    public string Format(IReadOnlyList<T> records, bool wide)
    {
        var columns = wide ? [.. Columns, .. WideColumns] : Columns;
        var rows = records
            .Select(r => (IReadOnlyList<string>)columns.Select(c => Cell(c, r)).ToList())
            .ToList();
        return TableWriter.Format(columns.Select(c => c.Header).ToList(), rows);
    }

    private static string Cell(Column<T> column, T record) => column.Cell(record) is { Length: > 0 } text ? text : None;
}
