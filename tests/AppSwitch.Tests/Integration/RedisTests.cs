using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Redis: its server opens an IPv6-only listening socket beside the IPv4 one, and hiredis (redis-cli) learns
/// the outcome of a non-blocking connect by calling connect() a second time.
/// </summary>
public sealed class RedisTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_cli_sets_and_gets_through_a_virtual_ip()
    {
        await using var node = await SingleNode.StartAsync(output);
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server],
            ["redis-server", "--port", "6379", "--save", "", "--appendonly", "no", "--protected-mode", "no",
             "--dir", node.Network.Temp.Path]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:6379", server: server);

        var set = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["redis-cli", "-h", VirtualIps.Server, "set", "greeting", "hello"]);
        Assert.True(set.ExitCode == 0 && set.StdOut.Trim() == "OK", set.Describe() + "\n" + server.Describe());
        var get = await node.Shell.RunUnderAxAsync([], ["redis-cli", "-h", VirtualIps.Server, "get", "greeting"]);
        Assert.True(get.ExitCode == 0 && get.StdOut.Trim() == "hello", get.Describe());
    }
}
