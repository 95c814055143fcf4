using AppSwitch.Cli.Output;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit.Rules;

/// <summary>`ax get services` prints a8ctl service-list's compact form: instances grouped by tag set, with counts.</summary>
public sealed class ServiceListTableTests
{
    private static ServiceInstanceRecord Instance(string service, string ip, params string[] tags) =>
        new() { Id = ip, ServiceName = service, Endpoint = new ServiceEndpoint("http", $"{ip}:5000"), Tags = [.. tags] };

    private static ServiceInstanceRecord FromKubernetes(string service, string ip, params string[] tags) =>
        Instance(service, ip, tags) with { NodeId = "kubernetes" };

    [Fact]
    public void Instances_are_grouped_by_tag_set_as_in_the_seed()
    {
        var services = ServiceListTable.Group(
        [
            Instance("helloworld", "172.17.0.11", "v1", "kubernetes"), Instance("helloworld", "172.17.0.12", "v1", "kubernetes"),
            Instance("helloworld", "172.17.0.13", "v2", "kubernetes"), Instance("helloworld", "172.17.0.14", "v2", "kubernetes"),
            Instance("bookinfo", "172.17.0.20"),
        ]);
        Assert.Equal(
            "SERVICE      INSTANCES\n" +
            "bookinfo     (1)\n" +
            "helloworld   v1,kubernetes(2), v2,kubernetes(2)\n",
            ServiceListTable.Definition.Format(services, wide: false));
    }

    [Fact]
    public void Kubernetes_instances_are_grouped_by_their_plain_tags_apps_by_all_and_wide_shows_every_tag()
    {
        var services = ServiceListTable.Group(
        [
            FromKubernetes("helloworld", "10.1.0.11", "v1", "kubernetes", "app=helloworld", "pod-template-hash=6b9f8d7c5", "version=v1"),
            FromKubernetes("helloworld", "10.1.0.12", "v1", "kubernetes", "app=helloworld", "pod-template-hash=6b9f8d7c5", "version=v1"),
            FromKubernetes("helloworld", "10.1.0.21", "v2", "kubernetes", "app=helloworld", "pod-template-hash=5c7f9b8d4", "version=v2"),
            Instance("web", "198.18.0.1", "v1", "zone=default"),
        ]);
        Assert.Equal(
            "SERVICE      INSTANCES\n" +
            "helloworld   v1,kubernetes(2), v2,kubernetes(1)\n" +
            "web          v1,zone=default(1)\n",
            ServiceListTable.Definition.Format(services, wide: false));
        var wide = ServiceListTable.Definition.Format(services, wide: true);
        Assert.Contains("v1,kubernetes,app=helloworld,pod-template-hash=6b9f8d7c5,version=v1(2), v2,kubernetes,app=helloworld,pod-template-hash=5c7f9b8d4,version=v2(1)", wide);
    }
}
