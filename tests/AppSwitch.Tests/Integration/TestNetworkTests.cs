using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Integration;

/// <summary>The test network itself: nodes reach each other on the bridge, nothing else, and nothing is left afterwards.</summary>
public sealed class TestNetworkTests
{
    [Fact]
    public async Task Nodes_reach_each_other_have_no_default_route_and_are_removed_on_dispose()
    {
        var network = TestNetwork.Create(2);
        string[] namespaces = [network.BridgeNamespace, .. network.Nodes.Select(n => n.Namespace)];
        var tempDir = network.Temp.Path;
        RunningProcess sleeper;
        try
        {
            var (n1, n2) = (network.Nodes[0], network.Nodes[1]);
            Assert.Equal("10.77.0.11", n1.Address);
            Assert.Equal("10.77.0.12", n2.Address);
            Assert.All(namespaces, ns => Assert.Contains(ns, NamespaceNames()));

            var ping = await new NodeShell(network, n1, tempDir).RunAsync(["busybox", "ping", "-c", "1", "-W", "5", n2.Address]);
            Assert.True(ping.ExitCode == 0, ping.Describe());
            Assert.Contains("1 packets received", ping.StdOut);

            var routes = await new NodeShell(network, n1, tempDir).RunAsync(["ip", "route", "show"]);
            Assert.Equal(0, routes.ExitCode);
            Assert.DoesNotContain("default", routes.StdOut);
            Assert.Contains("10.77.0.0/24 dev eth0", routes.StdOut);

            sleeper = new NodeShell(network, n2, tempDir).Start("sleep", "600");
            Assert.True(Signals.IsAlive(sleeper.Pid));
        }
        finally
        {
            await network.DisposeAsync();
        }

        var left = NamespaceNames();
        Assert.All(namespaces, ns => Assert.DoesNotContain(ns, left));
        Assert.False(Signals.IsAlive(sleeper.Pid) && !IsZombie(sleeper.Pid), "a process started in a node outlived the network");
        Assert.False(Directory.Exists(tempDir), $"{tempDir} outlived the network");
    }

    private static List<string> NamespaceNames() =>
        CommandRunner.Run("ip", "netns", "list").StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();

    private static bool IsZombie(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return true; }
    }
}
