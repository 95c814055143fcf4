using System.Net;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// What apps may reach outside AppSwitch (`ax daemon --egress allow|deny --egress-allow CIDR[:PORTS],…`): with
/// allow (the default, AppSwitch's behaviour) every non-virtual address; with deny only those of the allow list.
/// It decides only connects to the node's network: virtual IPs, vservices, ClusterIPs and servers' node endpoints
/// are decided by the service table, labels and rules. A refusal is ECONNREFUSED (not ENETUNREACH), like every
/// policy refusal of the resolver: it looks like a closed port, so an app cannot map what is forbidden, and clients
/// fail over at once.
/// </summary>
public sealed class EgressPolicy
{
    public static readonly EgressPolicy AllowAll = new(deny: false, []);

    private readonly EgressRule[] _allowed;

    private EgressPolicy(bool deny, EgressRule[] allowed)
    {
        Deny = deny;
        _allowed = allowed;
    }

    public bool Deny { get; }

    public IReadOnlyList<EgressRule> Allowed => _allowed;

    public bool Allows(IPAddress address, int port)
    {
        if (!Deny) return true;
        foreach (var rule in _allowed)
            if (rule.Allows(address, port)) return true;
        return false;
    }

    /// <summary>The policy as `ax get apps -o wide` shows it: `allow`, `deny`, or `deny except 198.19.0.2/32:8080,…`.</summary>
    public override string ToString() =>
        !Deny ? "allow" : _allowed.Length == 0 ? "deny" : "deny except " + string.Join(',', _allowed.Select(r => r.ToString()));

    /// <summary>
    /// The policy of `--egress` (allow|deny) and `--egress-allow` (comma-separated rules, or null); FormatException
    /// with a one-line reason for a bad mode, a bad rule, or an allow list without deny (it would mean nothing).
    /// </summary>
    public static EgressPolicy Parse(string mode, string? allowList)
    {
        var deny = mode switch
        {
            "allow" => false,
            "deny" => true,
            _ => throw new FormatException($"egress policy '{mode}' must be allow or deny"),
        };
        var rules = ParseAllowList(allowList);
        if (!deny && rules.Length > 0) throw new FormatException("--egress-allow needs --egress deny (with allow, everything is allowed already)");
        return deny ? new EgressPolicy(true, rules) : AllowAll;
    }

    /// <summary>The rules of an `--egress-allow` value; FormatException naming the first bad entry.</summary>
    public static EgressRule[] ParseAllowList(string? allowList)
    {
        if (allowList is null) return [];
        var entries = allowList.Split(',', StringSplitOptions.TrimEntries);
        if (entries.Any(e => e.Length == 0)) throw new FormatException($"empty egress rule in '{allowList}'");
        return entries.Select(EgressRule.Parse).ToArray();
    }
}
