using System.Text.Json.Serialization.Metadata;
using AppSwitch.Cli.Client;
using AppSwitch.Cli.Output;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Json;

namespace AppSwitch.Cli.Commands;

/// <summary>`ax get apps|servers|…|proxies|services|rules|routes|actions|xds [-o json|yaml|wide]`: reads the node's service table over the REST socket.</summary>
internal static class GetCommand
{
    public const string UsageLine =
        "ax get apps|servers|sockets|nodes|vservices|proxies|services|rules|routes|actions|xds [-o json|yaml|wide] [--admin-socket-dir DIR]";
    private const string Description = """
        Shows the cluster's applications, published servers and virtual services, this node's swapped sockets and
        relays, the cluster's nodes, or the Amalgam8 view: services (named apps' servers, grouped by tag set), rules,
        and the route and action rules per service; xds: the connection to istiod, the versions ACKed per type and
        what was refused and why. `get rules -o json|yaml` prints a document `ax create rule -f` takes back.
        """;
    public const string Resources = "apps, servers, sockets, nodes, vservices, proxies, services, rules, routes, actions, xds";

    private static readonly OptionSet Options = new()
    {
        new("output")
        {
            ShortName = 'o', ValueName = "FORMAT",
            Validate = v => OutputFormats.Parse(v) is null ? $"must be {OutputFormats.Choices}" : null,
            Help = "json, yaml, or wide (more columns); default: a table",
        },
        new("admin-socket-dir") { ValueName = "DIR", Help = "directory of the agent's admin API socket" },
    };

    public static string Usage => Options.FormatUsage(UsageLine, Description);

    /// <param name="adminDir">From the global option, AX_ADMIN_SOCKET_DIR or the default; `get --admin-socket-dir` overrides it.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, string adminDir, TextWriter stdout, TextWriter stderr)
    {
        var parsed = Options.Parse(args);
        if (parsed.HelpRequested) throw new HelpRequestedException(Usage);
        if (parsed.Positionals.Count == 0) throw new UsageException($"get needs a resource type: {Resources}");
        if (parsed.Positionals.Count > 1) throw new UsageException($"unexpected argument \"{parsed.Positionals[1]}\" (usage: {UsageLine})");

        var format = OutputFormats.Parse(parsed.GetString("output") ?? "")!.Value;
        var resource = parsed.Positionals[0];
        Func<DaemonClient, Task> fetchAndPrint = resource switch
        {
            "apps" or "app" => Lister("apps", AppTable.Definition, ApiJsonContext.Default.ListAppRecord, ApiJsonContext.Default.AppRecord),
            "servers" or "server" => Lister("servers", ServerTable.Definition, ApiJsonContext.Default.ListServerRecord, ApiJsonContext.Default.ServerRecord),
            "sockets" or "socket" => Lister("sockets", SocketTable.Definition, ApiJsonContext.Default.ListSocketRecord, ApiJsonContext.Default.SocketRecord),
            "nodes" or "node" => Lister("nodes", NodeTable.Definition, ApiJsonContext.Default.ListNodeRecord, ApiJsonContext.Default.NodeRecord),
            "vservices" or "vservice" => Lister("vservices", VServiceTable.Definition, ApiJsonContext.Default.ListVServiceRecord, ApiJsonContext.Default.VServiceRecord),
            "services" or "service" => async client => ListPrinter.Print(
                ServiceListTable.Group((await client.GetAsync("/api/v1/instances", ApiJsonContext.Default.ServiceInstanceList)).Instances),
                format, ServiceListTable.Definition, ApiJsonContext.Default.ServiceDetail, stdout, stderr),
            "rules" or "rule" => async client => RulePrinter.PrintRules(
                await client.GetAsync("/v1/rules", ApiJsonContext.Default.RuleList), format, stdout, stderr),
            "routes" or "route" => async client => RulePrinter.PrintByDestination(
                await client.GetAsync("/v1/rules/routes", ApiJsonContext.Default.RulesByDestination), format, RuleTables.Routes, stdout, stderr),
            "actions" or "action" => async client => RulePrinter.PrintByDestination(
                await client.GetAsync("/v1/rules/actions", ApiJsonContext.Default.RulesByDestination), format, RuleTables.Actions, stdout, stderr),
            "proxies" or "proxy" => Lister("proxies", ProxyTable.Definition, ApiJsonContext.Default.ListProxyRecord, ApiJsonContext.Default.ProxyRecord),
            "xds" => async client => XdsTable.Print(await client.GetAsync("/api/v1/xds", ApiJsonContext.Default.XdsStatusRecord), format, stdout),
            _ => throw new UsageException($"unknown resource type \"{resource}\" (have: {Resources})"),
        };

        // GET /api/v1/<path> and print the list in the chosen format.
        Func<DaemonClient, Task> Lister<T>(string path, ResourceTable<T> table, JsonTypeInfo<List<T>> listJson, JsonTypeInfo<T> itemJson) =>
            async client => ListPrinter.Print(await client.GetListAsync($"/api/v1/{path}", listJson), format, table, itemJson, stdout, stderr);

        using var client = new DaemonClient(parsed.GetString("admin-socket-dir") ?? adminDir);
        await fetchAndPrint(client);
        return 0;
    }
}
