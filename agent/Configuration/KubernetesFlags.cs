using AppSwitch.Agent.Kubernetes.Connection;
using AppSwitch.Common.CommandLine;

namespace AppSwitch.Agent.Configuration;

/// <summary>
/// The daemon's Kubernetes flags (issue 8), kept apart from the other daemon flags. Amalgam8's underscore
/// spellings (`--discovery_adapter`, `--kubernetes_url`, …) are accepted by rewriting them to the dashed
/// names before parsing; A8_K8S_URL / A8_K8S_TOKEN are the environment forms of the URL and token.
/// </summary>
public static class KubernetesFlags
{
    public const string AllNamespaces = "all";

    private static readonly string[] Adapters = ["none", "kubernetes"];

    private static readonly Dictionary<string, string> UnderscoreAliases = new[]
    {
        "discovery-adapter", "rules-adapter", "kubernetes-url", "kubernetes-token", "kubernetes-namespace", "kubernetes-pod-name",
    }.ToDictionary(name => "--" + name.Replace('-', '_'), name => "--" + name);

    public static IEnumerable<OptionSpec> Specs() =>
    [
        new("discovery-adapter")
        {
            ValueName = "none|kubernetes", EnvironmentVariable = "AX_DISCOVERY_ADAPTER", DefaultValue = "none", Validate = CheckAdapter,
            Help = "kubernetes: Services and their ready pods become service instances and virtual IPs",
        },
        new("rules-adapter")
        {
            ValueName = "none|kubernetes", EnvironmentVariable = "AX_RULES_ADAPTER", DefaultValue = "none", Validate = CheckAdapter,
            Help = "kubernetes: routing rules come from RoutingRule objects (routingrules.amalgam8.io)",
        },
        new("kubeconfig")
        {
            ValueName = "FILE", DefaultDescription = "$KUBECONFIG, else in-cluster",
            Help = "kubeconfig file whose current context names the API server and credentials",
        },
        new("kubernetes-url")
        {
            ValueName = "URL", EnvironmentVariable = "A8_K8S_URL", Validate = CheckUrl,
            DefaultDescription = "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT",
            Help = "API server URL (overrides the kubeconfig's or the pod's)",
        },
        new("kubernetes-token")
        {
            ValueName = "TOKEN", EnvironmentVariable = "A8_K8S_TOKEN", DefaultDescription = "the pod's ServiceAccount token",
            Help = "bearer token for the API server",
        },
        new("kubernetes-namespace")
        {
            ValueName = "NAME|all", EnvironmentVariable = "AX_KUBERNETES_NAMESPACE", DefaultValue = "default", Validate = CheckNamespace,
            Help = "namespace whose services and rules are read; all: every namespace",
        },
        new("kubernetes-pod-name")
        {
            ValueName = "NAME", EnvironmentVariable = "AX_KUBERNETES_POD_NAME",
            Help = "this pod's name: source service and tags come from its Service and labels",
        },
        new("replication")
        {
            ValueName = "gossip|kube|both", EnvironmentVariable = "AX_REPLICATION", DefaultValue = "gossip", Validate = CheckReplication,
            Help = "how the table reaches the other nodes: gossip, or one AppSwitchNode object per node through the Kubernetes API server (kube), or both",
        },
        new("replication-lease")
        {
            ValueName = "SECONDS", EnvironmentVariable = "AX_REPLICATION_LEASE", DefaultValue = "40", Validate = CheckLease,
            Help = "with --replication kube: a node whose Lease is not renewed for this long is gone (renewed every third of it)",
        },
        new("kubernetes-cgroup-root")
        {
            ValueName = "PATH", EnvironmentVariable = "AX_KUBERNETES_CGROUP_ROOT", DefaultValue = "/", Validate = CheckCgroupRoot,
            Help = "the kubelet's --cgroup-root: pods' cgroups (kubepods…) are looked for below it to tell which pod an `ax run` runs in",
        },
    ];

    /// <summary>Rewrites `--kubernetes_url[=v]` to `--kubernetes-url[=v]` (up to a `--`).</summary>
    public static List<string> NormalizeAliases(IEnumerable<string> args)
    {
        var result = new List<string>();
        var optionsEnded = false;
        foreach (var arg in args)
        {
            optionsEnded |= arg == "--";
            var equals = arg.IndexOf('=');
            var name = equals < 0 ? arg : arg[..equals];
            result.Add(!optionsEnded && UnderscoreAliases.TryGetValue(name, out var dashed) ? dashed + arg[name.Length..] : arg);
        }
        return result;
    }

    public static KubeSettings ReadSettings(ParsedOptions parsed) => new()
    {
        Url = parsed.GetString("kubernetes-url"),
        Token = parsed.GetString("kubernetes-token"),
        Kubeconfig = parsed.GetString("kubeconfig"),
        Namespace = parsed.GetString("kubernetes-namespace") is AllNamespaces ? null : parsed.GetString("kubernetes-namespace"),
        CgroupRoot = parsed.GetString("kubernetes-cgroup-root")!,
    };

    public static Kubernetes.Replication.ReplicationSettings ReadReplication(ParsedOptions parsed) => new()
    {
        Mode = Kubernetes.Replication.ReplicationSettings.ParseMode(parsed.GetString("replication")!)!.Value,
        LeaseDuration = TimeSpan.FromSeconds(parsed.GetInt("replication-lease")),
    };

    private static string? CheckReplication(string value) =>
        Kubernetes.Replication.ReplicationSettings.ParseMode(value) is null ? "must be gossip, kube or both" : null;

    private static string? CheckLease(string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
        && seconds is >= 3 and <= 3600 ? null : "must be a whole number of seconds from 3 to 3600";

    private static string? CheckAdapter(string value) => Adapters.Contains(value) ? null : "must be none or kubernetes";

    private static string? CheckCgroupRoot(string value) =>
        value.StartsWith('/') && !value.Split('/').Any(s => s is "." or "..") && !value.Contains('\0') ? null : "must be an absolute cgroup path (like /kubepods-root)";

    private static string? CheckUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "https" or "http" ? null : "must be an http(s) URL";

    // Namespace names are DNS labels (RFC 1123): lowercase letters, digits and '-', 1-63 characters.
    private static string? CheckNamespace(string value) =>
        value == AllNamespaces || (value.Length is > 0 and <= 63 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
                                   && value[0] != '-' && value[^1] != '-')
            ? null
            : "must be a namespace name (lowercase letters, digits, '-') or all";
}
