using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>getsockname/getpeername inside apps return the virtual addresses, in the family the app used.</summary>
public sealed class SocketAddressTests(ITestOutputHelper output)
{
    [Theory]
    // server bind address, client's target, expected: listening name, accepted name, client's peer
    [InlineData("198.18.0.1", "198.18.0.1", "198.18.0.1:80", "198.18.0.1:80", "198.18.0.1:80")]
    [InlineData("0.0.0.0", "198.18.0.1", "0.0.0.0:80", "198.18.0.1:80", "198.18.0.1:80")]
    [InlineData("::", "::ffff:198.18.0.1", "[::]:80", "[::ffff:198.18.0.1]:80", "[::ffff:198.18.0.1]:80")]
    public async Task Apps_see_virtual_addresses(string bind, string target,
        string listenName, string acceptedName, string clientPeer)
    {
        await using var node = await SingleNode.StartAsync(output);
        var helper = await HelperPrograms.BuildAsync("sockaddr_check");
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], [helper, "server", bind, "80"]);
        await server.WaitForOutputAsync(o => o.Contains("listen-name"), TimeSpan.FromSeconds(30), "the helper server to listen");
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        var client = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], [helper, "client", target, "80"]);
        var served = await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine(client.Describe());
        output.WriteLine(served.Describe());
        Assert.True(client.ExitCode == 0 && served.ExitCode == 0, client.Describe() + "\n" + served.Describe());

        var serverSaw = Lines(served.StdOut);
        var clientSaw = Lines(client.StdOut);
        var mismatches = new List<string>();
        void Expect(string what, string expected, IReadOnlyDictionary<string, string> seen, string key)
        {
            var actual = seen.GetValueOrDefault(key, "(not printed)");
            if (actual != expected) mismatches.Add($"{what}: expected {expected}, got {actual}");
        }
        Expect("server getsockname(listening socket)", listenName, serverSaw, "listen-name");
        Expect("server getsockname(accepted socket)", acceptedName, serverSaw, "accepted-name");
        Expect("client getpeername(connected socket)", clientPeer, clientSaw, "peer");
        Expect("client read", "ok", clientSaw, "reply");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches) + "\n" + client.Describe() + "\n" + served.Describe());
    }

    [Fact]
    public async Task Client_getpeername_is_the_virtual_address_even_after_the_server_exited()
    {
        await using var node = await SingleNode.StartAsync(output);
        var helper = await HelperPrograms.BuildAsync("sockaddr_check");
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], [helper, "server", VirtualIps.Server, "80"]);
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        var client = node.Shell.StartUnderAx(["--ip", VirtualIps.Client], [helper, "client-wait", VirtualIps.Server, "80"]);
        await client.WaitForOutputAsync(o => o.Contains("connected"), TimeSpan.FromSeconds(30), "the client to connect");
        Assert.True(server.Signal(Signals.SIGKILL), "could not kill the server");
        await Eventually.UntilAsync(async () => !(await node.Shell.GetAsync<AppSwitch.Common.Model.ServerRecord>()).Any(s => s.AppId == entry.AppId),
            TimeSpan.FromSeconds(5), "the server's entry to go", node.Diagnostics);

        Assert.True(client.Signal(Signals.SIGUSR1), "could not signal the client");
        var result = await client.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.True(Lines(result.StdOut).GetValueOrDefault("peer") == $"{VirtualIps.Server}:80",
            $"getpeername after the server exited should still be {VirtualIps.Server}:80\n{result.Describe()}");
    }

    private static Dictionary<string, string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.First()[1]);
}
