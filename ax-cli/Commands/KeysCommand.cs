using System.Text.Json;
using AppSwitch.Cli.Client;
using AppSwitch.Cli.Output;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Commands;

/// <summary>
/// `ax keys list|install KEY|use KEY|remove KEY`: the cluster's gossip keyring, changed on every member through
/// the agent (as `serf keys`). A change that some live member did not acknowledge in time exits 1 naming them.
/// </summary>
internal static class KeysCommand
{
    public const string UsageLine = "ax keys list [-o json] | install KEY | use KEY | remove KEY [--admin-socket-dir DIR]";
    private const string Description = """
        Manages the gossip encryption keys of the whole cluster (KEY: base64 of 16, 24 or 32 bytes).
          list      the keys live members hold, the primary first, and how many members hold each
          install   adds KEY on every member (it is accepted on receive from then on)
          use       makes the installed KEY the primary everywhere (it seals what every member sends)
          remove    deletes KEY everywhere (not the primary)
        Rotation without downtime: install NEW, use NEW, remove OLD.
        """;

    private static readonly OptionSet Options = new()
    {
        new("admin-socket-dir") { ValueName = "DIR", Help = "directory of the agent's admin API socket" },
        new("output") { ShortName = 'o', ValueName = "FORMAT", Help = "list only: json" },
    };

    public static string Usage => Options.FormatUsage(UsageLine, Description);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, string adminDir, TextWriter stdout, TextWriter stderr)
    {
        var parsed = Options.Parse(args);
        if (parsed.HelpRequested) throw new HelpRequestedException(Usage);
        var words = parsed.Positionals;
        if (words.Count == 0) throw new UsageException($"missing the keys command (usage: {UsageLine})");
        var output = parsed.GetString("output");
        if (output is not (null or "json")) throw new UsageException($"unknown output format \"{output}\" (ax keys list takes -o json)");
        using var client = new DaemonClient(parsed.GetString("admin-socket-dir") ?? adminDir);
        switch (words[0])
        {
            case "list" when words.Count == 1:
                var keyring = await client.GetAsync("/api/v1/keys", ApiJsonContext.Default.KeyringRecord);
                await stdout.WriteAsync(output == "json"
                    ? JsonSerializer.Serialize(keyring, ApiJsonContext.Default.KeyringRecord) + "\n"
                    : KeyTable.Format(keyring));
                return 0;
            case "install" or "use" or "remove" when words.Count == 2:
                if (output is not null) throw new UsageException("-o is for ax keys list only");
                var change = await client.PostAsync($"/api/v1/keys/{words[0]}", new KeyRequest { Key = words[1] },
                    ApiJsonContext.Default.KeyRequest, ApiJsonContext.Default.KeyChangeRecord);
                return await ReportAsync(change, stdout, stderr);
            case "list" or "install" or "use" or "remove":
                throw new UsageException($"ax keys {words[0]} takes {(words[0] == "list" ? "no argument" : "one KEY")} (usage: {UsageLine})");
            default:
                throw new UsageException($"unknown keys command \"{words[0]}\" (list, install, use or remove)");
        }
    }

    private static async Task<int> ReportAsync(KeyChangeRecord change, TextWriter stdout, TextWriter stderr)
    {
        var done = change.Operation switch { "install" => "installed", "use" => "made primary", _ => "removed" };
        await stdout.WriteLineAsync($"Key {done}: {change.Acknowledged}/{change.Members} members acknowledged (keyring version {change.Version}).");
        if (change.Missing.Count == 0) return 0;
        await stderr.WriteLineAsync($"ax: not acknowledged by {string.Join(", ", change.Missing)}: run the same command again once they are reachable, before the next step");
        return 1;
    }
}
