using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Configuration;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Launcher;

/// <summary>
/// Parses the arguments after `ax run` (sent by the launcher) into a <see cref="RunPlan"/>. Options end at
/// the first argument that is not an option, or after `--`; that argument is the command.
/// Mistakes throw <see cref="UsageException"/>; `--help` throws <see cref="HelpRequestedException"/>.
/// </summary>
public static class RunPlanParser
{
    public const string UsageLine = "ax run [options] [--] COMMAND [ARGS...]";
    private const string Description =
        "Runs COMMAND with its network calls handled by the AppSwitch agent.\n" +
        "Example: ax run --ip 198.18.0.1 --name web python3 -m http.server 80";

    private static readonly OptionSet Options = new()
    {
        new("ip") { ValueName = "A.B.C.D", Validate = ExplainIp, Help = "virtual IPv4 address of the app" },
        new("name") { ValueName = "NAME", Validate = v => DnsLabel.IsValid(v) ? null : DnsLabel.Rule, Help = "DNS name of the app" },
        new("labels")
        {
            ValueName = "K=V,...", DefaultValue = "zone=default",
            Validate = v => LabelListParser.TryParse(v, out _, out var reason) ? null : reason,
            Help = "labels; a client reaches a server only if they share one",
        },
        new("protocol")
        {
            ValueName = "tcp|udp|http|https", DefaultValue = "tcp",
            Validate = v => AppProtocol.IsKnown(v) ? null : $"must be {AppProtocol.Choices}",
            Help = "endpoint type of the app's servers as service instances (http/https allow header rules)",
        },
        new("user") { ValueName = "NAME|UID", Validate = ExplainUser, Help = "run the app as this user" },
        new("new-netns", OptionKind.Bool)
        {
            DefaultValue = "true", EnvironmentVariable = "AX_NEW_NETNS",
            Help = "put the app in a new network namespace; --new-netns=false keeps the current one",
        },
        new("dns-override", OptionKind.Bool)
        {
            DefaultValue = "true",
            Help = "in a new network namespace, give the app a resolv.conf pointing at the agent's DNS; false keeps the node's",
        },
        new("trap-sendmsg", OptionKind.Bool)
        {
            DefaultValue = "false",
            Help = "trap sendmsg and sendmmsg too, so that a UDP socket whose first send is a sendmsg to a virtual IP "
                + "reaches it (Node.js dgram, QUIC); every sendmsg of the app then traps, TCP's too",
        },
        new("interface")
        {
            ValueName = "NAME", Validate = ExplainInterfaceName,
            Help = "create a dummy interface of this name in the app's namespace",
        },
        new("expose")
        {
            ValueName = "PORT:HOSTPORT,...",
            Validate = v => ExposeMapping.TryParseList(v, out _, out var reason) ? null : reason,
            Help = "let clients outside AppSwitch reach an app port at a port of this node (PORT:HOSTPORT, PORT:NODEIP:HOSTPORT, PORT:0.0.0.0:HOSTPORT)",
        },
        new("kubernetes-pod-name")
        {
            ValueName = "NAME", EnvironmentVariable = "POD_NAME", DefaultDescription = "$POD_NAME, else $KUBERNETES_POD_NAME",
            Validate = v => v.Length is > 0 and <= 253 && v.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
                ? null : "must be a pod name (lowercase letters, digits, '-', '.')",
            Help = "the pod this app runs as: its Service and labels are the app's source name and tags for route rules",
        },
        new("socket-dir") { ValueName = "DIR", Help = "directory of the agent's sockets (used by the launcher)" },
    };

    public static string Usage => Options.FormatUsage(UsageLine, Description);

    /// <param name="args">The arguments after `run`.</param>
    /// <param name="environment">The launcher's AX_* environment entries.</param>
    public static RunPlan Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var parsed = Options.Parse(args, environment, ParseMode.StopAtFirstPositional);
        if (parsed.HelpRequested) throw new HelpRequestedException(Usage);
        if (parsed.FirstPositionalIndex < 0) throw new UsageException($"no command given (usage: {UsageLine})");

        var newNetns = parsed.GetBool("new-netns");
        var interfaceName = parsed.GetString("interface") ?? "";
        if (interfaceName.Length > 0 && !newNetns)
            throw new UsageException("--interface needs a new network namespace; it cannot be used with --new-netns=false");

        LabelListParser.TryParse(parsed.GetString("labels")!, out var labels, out _);
        return new RunPlan
        {
            CommandIndex = parsed.FirstPositionalIndex,
            Ip = parsed.GetString("ip") is { } ip ? IPAddress.Parse(ip) : null,
            Name = parsed.GetString("name") ?? "",
            Labels = labels,
            Protocol = parsed.GetString("protocol")!.ToLowerInvariant(),
            User = parsed.GetString("user") ?? "",
            NewNetns = newNetns,
            Interface = interfaceName,
            DnsOverride = parsed.GetBool("dns-override"),
            TrapSendmsg = parsed.GetBool("trap-sendmsg"),
            KubernetesPod = parsed.GetString("kubernetes-pod-name") ?? NonEmpty(environment.GetValueOrDefault("KUBERNETES_POD_NAME")),
            Expose = parsed.GetString("expose") is { } expose && ExposeMapping.TryParseList(expose, out var mappings, out _) ? mappings : [],
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? ExplainIp(string value)
    {
        if (!Ipv4Literal.TryParse(value, out var address))
            return value.Contains(':') && IPAddress.TryParse(value, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                ? "virtual IPs are IPv4 only"
                : "not an IPv4 address (A.B.C.D)";
        var first = address.GetAddressBytes()[0];
        if (address.Equals(IPAddress.Any)) return "0.0.0.0 cannot be a virtual IP";
        if (first == 127) return "a loopback address cannot be a virtual IP";
        if (first >= 224) return "a multicast or reserved address cannot be a virtual IP";
        return null;
    }

    // The launcher resolves the name inside the container; here only what can never be a user is refused.
    private static string? ExplainUser(string value) =>
        value.Length > 0 && value.Length <= 256 && !value.Any(c => char.IsWhiteSpace(c) || c is ':' or '/' or '\0')
            ? null
            : "not a user name or numeric uid";

    // Linux dev_valid_name(): 1-15 bytes, not "." or "..", no '/', ':' or whitespace.
    private static string? ExplainInterfaceName(string value)
    {
        if (value.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(value) > 15) return "interface names are 1-15 characters";
        if (value is "." or ".." || value.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
            return "not a valid interface name";
        if (value == "lo") return "lo already exists in every network namespace";
        return null;
    }
}
