using AppSwitch.Cli.Output;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit.Rules;

/// <summary>`ax get services` prints a8ctl service-list's compact form: instances grouped by tag set, with counts.</summary>
public sealed class ServiceListTableTests
{
    private static ServiceInstanceRecord Instance(string service, string ip, params string[] tags) =>
        new() { Id = ip, ServiceName = service, Endpoint = new ServiceEndpoint("http", $"{ip}:5000"), Tags = [.. tags] };

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
}
