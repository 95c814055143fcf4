using AppSwitch.Agent.Xds;
using AppSwitch.Common.CommandLine;

namespace AppSwitch.Agent.Configuration;

/// <summary>The daemon's xDS flags (issue 17): where istiod is and how the agent authenticates to it.</summary>
public static class XdsFlags
{
    public static IEnumerable<OptionSpec> Specs() =>
    [
        new("xds-address")
        {
            ValueName = "HOST:PORT", EnvironmentVariable = "AX_XDS_ADDRESS", Validate = CheckAddress,
            Help = "istiod's xDS address (15010 plaintext; 15012 with --xds-ca-cert): Istio routes and subsets apply",
        },
        new("xds-ca-cert")
        {
            ValueName = "FILE", EnvironmentVariable = "AX_XDS_CA_CERT", Validate = CheckFile,
            Help = "PEM root CA istiod's certificate must chain to (turns on TLS and sends the ServiceAccount token)",
        },
        new("xds-token-file")
        {
            ValueName = "FILE", EnvironmentVariable = "AX_XDS_TOKEN_FILE", DefaultValue = XdsSettings.DefaultTokenFile,
            Help = "projected ServiceAccount token (audience istio-ca) sent as authorization: Bearer over TLS",
        },
        new("xds-cluster-id")
        {
            ValueName = "ID", EnvironmentVariable = "AX_XDS_CLUSTER_ID", DefaultValue = "Kubernetes", Validate = CheckClusterId,
            Help = "Istio cluster id this node belongs to (CLUSTER_ID metadata)",
        },
        new("xds-namespace")
        {
            ValueName = "NAME", EnvironmentVariable = "AX_XDS_NAMESPACE", DefaultValue = "default", Validate = CheckNamespace,
            Help = "namespace of the node's xDS identity (Istio's NAMESPACE metadata)",
        },
    ];

    public static XdsSettings ReadSettings(ParsedOptions parsed) => new()
    {
        Address = parsed.GetString("xds-address"),
        CaCertFile = parsed.GetString("xds-ca-cert"),
        TokenFile = parsed.GetString("xds-token-file")!,
        ClusterId = parsed.GetString("xds-cluster-id")!,
        Namespace = parsed.GetString("xds-namespace")!,
    };

    private static string? CheckAddress(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 1 or > 65535)
            return "must be HOST:PORT (like istiod.istio-system.svc:15012)";
        var host = value[..colon].Trim('[', ']');
        return Uri.CheckHostName(host) == UriHostNameType.Unknown ? "must be HOST:PORT (like istiod.istio-system.svc:15012)" : null;
    }

    private static string? CheckFile(string value) => File.Exists(value) ? null : "no such file";

    private static string? CheckClusterId(string value) =>
        value.Length is > 0 and <= 253 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? null
            : "must be letters, digits, '-', '_' or '.'";

    private static string? CheckNamespace(string value) =>
        value.Length is > 0 and <= 63 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') && value[0] != '-' && value[^1] != '-'
            ? null : "must be a namespace name (lowercase letters, digits, '-')";
}
