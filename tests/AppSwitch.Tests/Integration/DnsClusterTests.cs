using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Names and automatic virtual IPs across nodes: a name started on one node resolves on another, and no two apps share a pool address.</summary>
public sealed class DnsClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Pool_addresses_are_unique_across_nodes_and_names_resolve_on_every_node()
    {
        // A pool of two addresses: the second node must pick the one the first did not, and a third app finds none.
        await using var cluster = await ThreeNodeCluster.StartAsync(output, 0,
            "--ip-pool", "198.19.7.0/30", "--dns-servers", "127.0.0.1:5353");
        await cluster.AwaitAllAliveAsync();

        var web = await StartNamedAsync(cluster, 0, "web");
        await AwaitAppSeenAsync(cluster, 1, "web");
        var api = await StartNamedAsync(cluster, 1, "api");
        Assert.NotEqual(web, api);
        Assert.Contains(web, new[] { "198.19.7.1", "198.19.7.2" });
        Assert.Contains(api, new[] { "198.19.7.1", "198.19.7.2" });

        await AwaitAppSeenAsync(cluster, 2, "web");
        await AwaitAppSeenAsync(cluster, 2, "api");
        var full = await cluster.Shell(2).RunUnderAxAsync(["--name", "third"], ["true"]);
        Assert.True(full.ExitCode == 1 && full.StdErr.Contains("no free virtual IP left in the pool 198.19.7.0/30"), full.Describe());

        // From n3, by short and by full name, to servers on n1 and n2.
        foreach (var (url, body) in new[] { ("http://web/", "on web"), ("http://api.appswitch.local/", "on api") })
        {
            var curl = await cluster.Shell(2).RunUnderAxAsync([], CurlBodyAndStatus(url));
            Assert.True(curl.ExitCode == 0 && curl.StdOut == $"{body}\n200", url + "\n" + curl.Describe() + cluster.Logs());
        }
    }

    private static async Task<string> StartNamedAsync(ThreeNodeCluster cluster, int index, string name)
    {
        var shell = cluster.Shell(index);
        var root = DocumentRoot(cluster.Network.Temp, name, ("index.html", $"on {name}"));
        var server = shell.StartUnderAx(["--name", name], PythonHttpServer(root));
        var app = await AwaitAppSeenAsync(cluster, index, name, server);
        await shell.WaitForServerAsync($"{app.AppIp}:80", server: server);
        return app.AppIp;
    }

    private static Task<AppRecord> AwaitAppSeenAsync(ThreeNodeCluster cluster, int index, string name, RunningProcess? server = null) =>
        cluster.Shell(index).WaitForAppAsync(name, TimeSpan.FromSeconds(15), server, () => cluster.Logs());
}
