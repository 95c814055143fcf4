using AppSwitch.Cli.Client;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Json;

namespace AppSwitch.Cli.Commands;

/// <summary>`ax delete vservice NAME` (alias `ax del`): deletes a vservice on the node that owns it.</summary>
internal static class DeleteCommand
{
    public const string UsageLine = "ax delete|del vservice NAME | rule ID... [--admin-socket-dir DIR]";
    private const string Description =
        "Deletes a virtual service. Run it on the node that created the vservice; elsewhere the error names that node.";

    private static readonly OptionSet Options = new()
    {
        new("admin-socket-dir") { ValueName = "DIR", Help = "directory of the agent's admin API socket" },
    };

    public static string Usage => Options.FormatUsage(UsageLine, Description);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, string adminDir, TextWriter stdout)
    {
        if (args.Count > 0 && args[0] is "rule" or "rules") return await RuleCommands.DeleteAsync([.. args.Skip(1)], adminDir, stdout);
        var parsed = Options.Parse(args);
        if (parsed.HelpRequested) throw new HelpRequestedException(Usage);
        var name = VServiceArguments.Name(parsed, "delete", UsageLine);

        using var client = new DaemonClient(parsed.GetString("admin-socket-dir") ?? adminDir);
        await client.DeleteAsync($"/api/v1/vservices/{Uri.EscapeDataString(name)}", ApiJsonContext.Default.VServiceRecord);
        await stdout.WriteLineAsync($"Service '{name}' deleted successfully.");
        return 0;
    }
}
