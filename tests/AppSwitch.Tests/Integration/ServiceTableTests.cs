using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>`ax get apps|servers|sockets` show what runs, as tables and as JSON.</summary>
public sealed class ServiceTableTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Get_apps_shows_the_app_with_its_ip_name_and_labels()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--name", "web", "--labels", "tier=front,zone=z1"],
            PythonHttpServer(root, port: 8000));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:8000", server: server);

        var apps = await node.Shell.GetAsync<AppRecord>();
        var app = Assert.Single(apps);
        Assert.Equal("web", app.Name);
        Assert.Equal(VirtualIps.Server, app.AppIp);
        Assert.Equal("front", app.Labels.GetValueOrDefault("tier"));
        Assert.Equal("z1", app.Labels.GetValueOrDefault("zone"));
        Assert.Equal(server.Pid, app.Pid);
        Assert.Matches("^[0-9a-f]{8}$", app.AppId);
        Assert.Contains(app.Command, c => c.Contains("python3"));

        var table = await node.Shell.AxAsync("get", "apps");
        Assert.True(table.ExitCode == 0, table.Describe());
        var lines = table.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "APPID", "NODEID", "CLUSTER", "APPIP", "DRIVER", "LABELS", "ZONES"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(lines.Skip(1));
        Assert.StartsWith("web ", row);
        Assert.Contains(app.AppId, row);
        Assert.Contains(VirtualIps.Server, row);
        Assert.Contains("tier=front", row);
    }

    [Fact]
    public async Task App_without_labels_gets_zone_default()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        var app = Assert.Single(await node.Shell.GetAsync<AppRecord>());
        Assert.Equal("default", app.Labels.GetValueOrDefault("zone"));
    }

    [Fact]
    public async Task Get_servers_and_sockets_show_the_virtual_and_the_real_node_address()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "on the node"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        Assert.Equal("tcp", entry.Proto);
        var (nodeIp, nodePort) = SplitHostPort(entry.Ipv4Addr);
        Assert.Equal(node.Node.Address, nodeIp);
        Assert.InRange(nodePort, 40000, 60000);
        var app = Assert.Single(await node.Shell.GetAsync<AppRecord>());
        Assert.Equal(app.AppId, entry.AppId);

        // The app's socket really listens on the node address: a plain client on the node reaches it.
        var direct = await node.Shell.RunAsync(CurlBodyAndStatus($"http://{entry.Ipv4Addr}/"));
        Assert.True(direct.ExitCode == 0, direct.Describe());
        Assert.Equal("on the node\n200", direct.StdOut);

        var sockets = await node.Shell.GetAsync<SocketRecord>();
        Assert.Contains(sockets, s => s.AppId == app.AppId && s.State == "listening" && s.NodeAddr == entry.Ipv4Addr);

        var servers = await node.Shell.AxAsync("get", "servers");
        Assert.True(servers.ExitCode == 0, servers.Describe());
        var lines = servers.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NODEID", "CLUSTER", "APPID", "PROTO", "SERVICEADDR", "IPV4ADDR"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(lines, l => l.Contains($"{VirtualIps.Server}:80") && l.Contains(entry.Ipv4Addr) && l.Contains(app.AppId));

        foreach (var format in new[] { "yaml", "wide" })
        {
            var other = await node.Shell.AxAsync("get", "sockets", "-o", format);
            Assert.True(other.ExitCode == 0 && other.StdOut.Contains(app.AppId), other.Describe());
        }
    }

    private static (string Ip, int Port) SplitHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return (address[..colon], int.Parse(address[(colon + 1)..]));
    }
}
