using System.Text;
using AppSwitch.Cli.Client;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Json;
using AppSwitch.Common.Rules;

namespace AppSwitch.Cli.Commands;

/// <summary>
/// `ax create rule -f FILE|-` and `ax delete rule ID...`: Amalgam8 rules through the agent's controller API.
/// The file is read and checked here with the agent's own reader, so a bad document never reaches the agent.
/// </summary>
internal static class RuleCommands
{
    public const string CreateUsageLine = "ax create rule -f FILE|- [--admin-socket-dir DIR]";
    public const string DeleteUsageLine = "ax delete rule ID... [--admin-socket-dir DIR]";
    private const string CreateDescription = """
        Creates the Amalgam8 route and action rules of a JSON or YAML document ({"rules": [...]}, a list of rules, or one
        rule); `-f -` reads standard input. A document with one bad rule creates nothing: every problem is printed as
        PATH: REASON. Ids are generated where missing. The rules belong to this node and apply on every node.
        """;
    private const string DeleteDescription = "Deletes rules by id, on the node that created them (elsewhere the error names that node).";

    private static readonly OptionSet CreateOptions = new()
    {
        new("filename") { ShortName = 'f', ValueName = "FILE", Help = "the rule document, or - for standard input" },
        new("admin-socket-dir") { ValueName = "DIR", Help = "directory of the agent's admin API socket" },
    };

    private static readonly OptionSet DeleteOptions = new()
    {
        new("admin-socket-dir") { ValueName = "DIR", Help = "directory of the agent's admin API socket" },
    };

    public static async Task<int> CreateAsync(IReadOnlyList<string> args, string adminDir, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var parsed = CreateOptions.Parse(args);
        if (parsed.HelpRequested) throw new HelpRequestedException(CreateOptions.FormatUsage(CreateUsageLine, CreateDescription));
        if (parsed.Positionals.Count > 0) throw new UsageException($"unexpected argument \"{parsed.Positionals[0]}\" (usage: {CreateUsageLine})");
        var file = parsed.GetString("filename") ?? throw new UsageException($"create rule needs -f FILE (usage: {CreateUsageLine})");

        var text = ReadDocument(file, stdin);
        var rules = RuleReader.Read(text, out var problems);
        if (problems.Count > 0)
        {
            var source = file == "-" ? "standard input" : file;
            foreach (var problem in problems) await stderr.WriteLineAsync($"ax: {source}: {problem}");
            return 1;
        }
        using var client = new DaemonClient(parsed.GetString("admin-socket-dir") ?? adminDir);
        var created = await client.PostAsync("/v1/rules", new RuleList { Rules = [.. rules] }, ApiJsonContext.Default.RuleList,
            ApiJsonContext.Default.RuleIds);
        foreach (var id in created.Ids) await stdout.WriteLineAsync($"Rule '{id}' created successfully.");
        return 0;
    }

    public static async Task<int> DeleteAsync(IReadOnlyList<string> args, string adminDir, TextWriter stdout)
    {
        var parsed = DeleteOptions.Parse(args);
        if (parsed.HelpRequested) throw new HelpRequestedException(DeleteOptions.FormatUsage(DeleteUsageLine, DeleteDescription));
        if (parsed.Positionals.Count == 0) throw new UsageException($"delete rule needs at least one rule id (usage: {DeleteUsageLine})");
        foreach (var id in parsed.Positionals)
            if (!RuleValidator.IsId(id)) throw new UsageException($"invalid rule id \"{id}\"");

        var query = string.Join("&", parsed.Positionals.Select(id => "id=" + Uri.EscapeDataString(id)));
        using var client = new DaemonClient(parsed.GetString("admin-socket-dir") ?? adminDir);
        var deleted = await client.DeleteAsync($"/v1/rules?{query}", ApiJsonContext.Default.RuleIds);
        foreach (var id in deleted.Ids) await stdout.WriteLineAsync($"Rule '{id}' deleted successfully.");
        return 0;
    }

    private static string ReadDocument(string file, TextReader stdin)
    {
        if (file == "-") return stdin.ReadToEnd();
        try
        {
            var info = new FileInfo(file);
            if (info.Exists && info.Length > RuleDocumentParser.MaxBytes)
                throw new CliException($"{file} is {info.Length} bytes, over {RuleDocumentParser.MaxBytes}");
            return File.ReadAllText(file, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {file}: {e.Message}");
        }
    }
}
