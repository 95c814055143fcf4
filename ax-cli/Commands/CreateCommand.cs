using AppSwitch.Cli.Client;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;
using AppSwitch.Common.VServices;

namespace AppSwitch.Cli.Commands;

/// <summary>
/// `ax create vservice --ip VIP --backends IP[,IP…] --ports VPORT:APORT[,…] [--lbtype Random|RoundRobin] [--external]
/// [--source-ip IP] NAME`: the flags are checked here (usage errors, exit 2), conflicts by the agent (exit 1).
/// </summary>
internal static class CreateCommand
{
    public const string UsageLine =
        "ax create rule -f FILE|-  |  ax create vservice --ip VIP --backends IP[,IP...] --ports VPORT:APORT[,...] [--lbtype Random|RoundRobin] [--external] [--source-ip IP] NAME";
    private const string Description = """
        Creates a virtual service on this node, visible and usable on every node of the cluster. A connect to VIP:VPORT
        goes to one backend on APORT: a backend is an AppSwitch app's virtual IP (reached as a direct connect to it
        would be, labels included) or an external IP on the node network. A port not listed is refused.
        The vservice belongs to this node: it is deleted here, and it goes away if this node leaves or dies.
        --external makes it reachable by non-AppSwitch clients too: every node relays NODEIP:VPORT to a
        backend (see ax get proxies).
        """;

    private static readonly OptionSet Options = new()
    {
        new("ip") { ValueName = "VIP", Validate = v => VServiceSyntax.CheckAddress("--ip", v), Help = "the virtual IP clients connect to" },
        new("backends")
        {
            ValueName = "IP[,IP...]", Validate = v => VServiceSyntax.TryParseBackends(v, out _),
            Help = "app virtual IPs or external IPs",
        },
        new("ports")
        {
            ValueName = "VPORT:APORT[,...]", Validate = v => VServiceSyntax.TryParsePorts(v, out _),
            Help = "client port : backend port",
        },
        new("lbtype")
        {
            ValueName = "TYPE", DefaultValue = VServiceSyntax.Random,
            Validate = v => VServiceSyntax.CanonicalLbType(v) is null ? $"must be {VServiceSyntax.LbTypes}" : null,
            Help = "Random or RoundRobin (exact rotation on each node)",
        },
        new("external", OptionKind.Bool) { Help = "also reachable on VPORT of every node's address, for clients outside AppSwitch" },
        new("source-ip") { ValueName = "IP", Validate = v => VServiceSyntax.CheckAddress("--source-ip", v), Help = "local address to connect from" },
        new("admin-socket-dir") { ValueName = "DIR", Help = "directory of the agent's admin API socket" },
    };

    public static string Usage => Options.FormatUsage(UsageLine, Description);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, string adminDir, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count > 0 && args[0] is "rule" or "rules") return await RuleCommands.CreateAsync([.. args.Skip(1)], adminDir, Console.In, stdout, stderr);
        var parsed = Options.Parse(args);
        if (parsed.HelpRequested) throw new HelpRequestedException(Usage);
        var name = VServiceArguments.Name(parsed, "create", UsageLine);

        var spec = SpecFrom(parsed, name);
        using var client = new DaemonClient(parsed.GetString("admin-socket-dir") ?? adminDir);
        var created = await client.PostAsync("/api/v1/vservices", spec, ApiJsonContext.Default.VServiceSpec, ApiJsonContext.Default.VServiceRecord);
        await stdout.WriteLineAsync($"Service '{created.Name}' created successfully with IP '{created.Ip}'.");
        return 0;
    }

    private static VServiceSpec SpecFrom(ParsedOptions parsed, string name)
    {
        foreach (var required in new[] { "ip", "backends", "ports" })
            if (parsed.GetString(required) is null) throw new UsageException($"create vservice needs --{required} (usage: {UsageLine})");
        if (VServiceSyntax.CheckName(name) is { } badName) throw new UsageException(badName);
        VServiceSyntax.TryParsePorts(parsed.GetString("ports")!, out var ports);
        VServiceSyntax.TryParseBackends(parsed.GetString("backends")!, out var backends);
        var spec = new VServiceSpec
        {
            Name = name, Ip = parsed.GetString("ip"), Backends = backends, Ports = ports,
            LbType = VServiceSyntax.CanonicalLbType(parsed.GetString("lbtype")), External = parsed.GetBool("external"),
            SourceIp = parsed.GetString("source-ip"),
        };
        // What only the whole definition shows (a backend equal to the VIP).
        return VServiceSyntax.Check(spec) is { } error ? throw new UsageException(error) : spec;
    }
}
