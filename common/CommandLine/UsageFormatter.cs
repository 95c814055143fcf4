using System.Text;

namespace AppSwitch.Common.CommandLine;

/// <summary>Lays out `--help` text: flags in a left column, their help, default and environment form on the right.</summary>
internal static class UsageFormatter
{
    private const int Gap = 3;

    public static string Format(string usageLine, string? description, IReadOnlyList<OptionSpec> specs)
    {
        var rows = specs.Select(s => (Left: LeftColumn(s), Right: RightColumn(s)))
            .Append((Left: "  -h, --help", Right: "show this help"))
            .ToList();
        var width = rows.Max(r => r.Left.Length) + Gap;

        var text = new StringBuilder();
        text.Append("Usage: ").Append(usageLine).Append('\n');
        if (!string.IsNullOrEmpty(description)) text.Append('\n').Append(description.TrimEnd()).Append('\n');
        text.Append("\nOptions:\n");
        foreach (var (left, right) in rows) text.Append(left.PadRight(width)).Append(right).Append('\n');
        return text.ToString();
    }

    private static string LeftColumn(OptionSpec spec)
    {
        var left = spec.ShortName is { } c ? $"  -{c}, --{spec.Name}" : $"      --{spec.Name}";
        return spec.Kind switch
        {
            OptionKind.Bool => left,
            OptionKind.Int => left + " " + (spec.ValueName ?? "N"),
            _ => left + " " + (spec.ValueName ?? "VALUE"),
        };
    }

    private static string RightColumn(OptionSpec spec)
    {
        var notes = new List<string>();
        if ((spec.DefaultDescription ?? spec.DefaultValue) is { Length: > 0 } shownDefault) notes.Add($"default {shownDefault}");
        if (spec.EnvironmentVariable is { } env) notes.Add($"env {env}");
        return notes.Count == 0 ? spec.Help : $"{spec.Help} ({string.Join("; ", notes)})";
    }
}
