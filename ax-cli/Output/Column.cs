namespace AppSwitch.Cli.Output;

/// <summary>One column of a resource table: its header and how a record shows in it.</summary>
internal sealed record Column<T>(string Header, Func<T, string> Cell);
