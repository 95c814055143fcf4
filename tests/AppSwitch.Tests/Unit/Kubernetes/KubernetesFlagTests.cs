using System.Net;
using AppSwitch.Agent.Configuration;
using AppSwitch.Common.CommandLine;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>`ax daemon`'s Kubernetes flags, in our spelling and Amalgam8's.</summary>
public sealed class KubernetesFlagTests
{
    private static AgentOptions Parse(string[] args, Dictionary<string, string>? env = null) =>
        new AgentOptionsParser(new NodeAddressResolver(() => [new("eth0", true, false, [IPAddress.Parse("10.0.0.5")])]), () => "node-a")
            .Parse(args, env ?? new Dictionary<string, string>());

    [Fact]
    public void Without_flags_no_adapter_runs_and_the_default_namespace_is_watched()
    {
        var options = Parse([]);
        Assert.Equal(("none", "none", "default"), (options.DiscoveryAdapter, options.RulesAdapter, options.Kubernetes.Namespace));
        Assert.Null(options.Kubernetes.Url);
        Assert.Null(options.KubernetesPodName);
    }

    [Fact]
    public void Dashed_flags_are_read()
    {
        var options = Parse(["--discovery-adapter", "kubernetes", "--rules-adapter=kubernetes", "--kubeconfig", "/root/.kube/config",
            "--kubernetes-url", "https://10.96.0.1:443", "--kubernetes-token", "t0k", "--kubernetes-namespace", "all", "--kubernetes-pod-name", "web-1"]);

        Assert.Equal(("kubernetes", "kubernetes"), (options.DiscoveryAdapter, options.RulesAdapter));
        Assert.Equal(("/root/.kube/config", "https://10.96.0.1:443", "t0k"), (options.Kubernetes.Kubeconfig, options.Kubernetes.Url, options.Kubernetes.Token));
        Assert.Null(options.Kubernetes.Namespace); // all namespaces
        Assert.Equal("web-1", options.KubernetesPodName);
    }

    [Fact]
    public void Amalgam8_underscore_spellings_and_A8_K8S_variables_are_accepted()
    {
        var options = Parse(["--discovery_adapter", "kubernetes", "--rules_adapter=kubernetes", "--kubernetes_namespace", "shop", "--kubernetes_pod_name=web-2"],
            new() { ["A8_K8S_URL"] = "https://k8s.example:6443", ["A8_K8S_TOKEN"] = "env-token" });

        Assert.Equal(("kubernetes", "kubernetes", "shop", "web-2"), (options.DiscoveryAdapter, options.RulesAdapter, options.Kubernetes.Namespace, options.KubernetesPodName));
        Assert.Equal(("https://k8s.example:6443", "env-token"), (options.Kubernetes.Url, options.Kubernetes.Token));
        var flagsWin = Parse(["--kubernetes_url", "https://10.0.0.1", "--kubernetes_token=flag"], new() { ["A8_K8S_URL"] = "https://x", ["A8_K8S_TOKEN"] = "y" });
        Assert.Equal(("https://10.0.0.1", "flag"), (flagsWin.Kubernetes.Url, flagsWin.Kubernetes.Token));
    }

    [Theory]
    [InlineData(new[] { "--discovery-adapter", "consul" }, "--discovery-adapter", "must be none or kubernetes")]
    [InlineData(new[] { "--rules_adapter", "etcd" }, "--rules-adapter", "must be none or kubernetes")]
    [InlineData(new[] { "--kubernetes-url", "10.96.0.1:443" }, "--kubernetes-url", "must be an http(s) URL")]
    [InlineData(new[] { "--kubernetes-namespace", "Shop_1" }, "--kubernetes-namespace", "must be a namespace name")]
    public void Bad_values_are_refused_naming_the_flag(string[] args, string flag, string reason)
    {
        var error = Assert.Throws<UsageException>(() => Parse(args)).Message;
        Assert.Contains(flag, error);
        Assert.Contains(reason, error);
    }
}
