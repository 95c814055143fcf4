using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 2, UDP half: a UDP server under `ax run --ip` sees a client app's virtual IP (and the client's port)
/// in recvfrom and recvmsg, and its answers sent to that address reach the client; clients outside AppSwitch keep
/// their real address; `--preserve-client-ip=false` shows the node's. Real programs: python's socket module.
/// </summary>
public sealed class DatagramClientAddressTests(ITestOutputHelper output)
{
    internal const string Port = "5300";

    /// <summary>Prints each datagram's source (recvfrom, then recvmsg, alternately) and answers it there, upper-cased.</summary>
    internal const string Server = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        print("bound", flush=True)
        n = 0
        while True:
            if n % 2 == 0:
                data, peer = s.recvfrom(2048)
            else:
                data, _, _, peer = s.recvmsg(2048)
            n += 1
            print(f"{data.decode()} from {peer[0]}:{peer[1]}", flush=True)
            s.sendto(data.upper(), peer)
        """;

    /// <summary>
    /// A fresh socket (connected first with a third argument `connect`): two datagrams, each answer printed with its
    /// source, and the port it sent from.
    /// </summary>
    internal const string Client = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        to = (sys.argv[1], int(sys.argv[2]))
        connected = sys.argv[3:] == ["connect"]
        if connected:
            s.connect(to)
        for word in ("one", "two"):
            if connected:
                s.send(word.encode())
            else:
                s.sendto(word.encode(), to)
            data, peer = s.recvfrom(2048)
            print(data.decode(), f"{peer[0]}:{peer[1]}", flush=True)
        print("port", s.getsockname()[1], flush=True)
        """;

    [Fact]
    public async Task On_the_same_node_the_server_sees_ax_clients_virtual_ips_and_a_client_outside_ax_its_real_address()
    {
        await using var node = await SingleNode.StartAsync(output);
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", Server, Port]);
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);

        var port = await ExchangeAsync(node.Shell, ["--ip", VirtualIps.Client], VirtualIps.Server, $"{VirtualIps.Server}:{Port}", server, node.Diagnostics);
        await ExpectSeenAsync(server, $"{VirtualIps.Client}:{port}", node.Diagnostics);
        var connectedPort = await ExchangeAsync(node.Shell, ["--ip", VirtualIps.Other], VirtualIps.Server, $"{VirtualIps.Server}:{Port}",
            server, node.Diagnostics, "connect");
        await ExpectSeenAsync(server, $"{VirtualIps.Other}:{connectedPort}", node.Diagnostics);

        // The same program outside ax, sending to the server's node socket: its own address.
        var nodeEndPoint = entry.Ipv4Addr.Split(':');
        var outside = await node.Shell.RunAsync(["python3", "-c", Client, nodeEndPoint[0], nodeEndPoint[1]]);
        Assert.True(outside.ExitCode == 0, outside.Describe() + server.Describe() + node.Diagnostics());
        var outsidePort = outside.StdOut.Split('\n').Single(l => l.StartsWith("port "))[5..];
        await ExpectSeenAsync(server, $"{node.Node.Address}:{outsidePort}", node.Diagnostics);
    }

    [Fact]
    public async Task With_preserve_client_ip_false_the_server_sees_the_node_address()
    {
        await using var node = await SingleNode.StartAsync(output, "--preserve-client-ip=false");
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", Server, Port]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);

        var port = await ExchangeAsync(node.Shell, ["--ip", VirtualIps.Client], VirtualIps.Server, $"{VirtualIps.Server}:{Port}", server, node.Diagnostics);
        await ExpectSeenAsync(server, $"{node.Node.Address}:{port}", node.Diagnostics);
    }

    /// <summary>Runs the client under ax; asserts both answers came back from <paramref name="answersFrom"/>; the client's port.</summary>
    internal static async Task<string> ExchangeAsync(NodeShell shell, string[] axOptions, string host, string answersFrom,
        RunningProcess server, Func<string> diagnostics, params string[] mode)
    {
        var client = await shell.RunUnderAxAsync(axOptions, ["python3", "-c", Client, host, Port, .. mode]);
        Assert.True(client.ExitCode == 0, client.Describe() + server.Describe() + diagnostics());
        var lines = client.StdOut.Trim().Split('\n');
        Assert.Equal([$"ONE {answersFrom}", $"TWO {answersFrom}"], lines[..2]);
        return lines[2]["port ".Length..];
    }

    /// <summary>Both datagrams from <paramref name="expected"/>'s port were seen (recvfrom and recvmsg) as from <paramref name="expected"/>.</summary>
    internal static async Task ExpectSeenAsync(RunningProcess server, string expected, Func<string> diagnostics)
    {
        var port = expected[(expected.LastIndexOf(':') + 1)..];
        string[] Mine() => server.StdOut.Split('\n').Where(l => l.EndsWith(":" + port)).ToArray();
        await Eventually.UntilAsync(() => Task.FromResult(Mine().Length >= 2),
            TimeSpan.FromSeconds(10), $"the server to print both datagrams from port {port}", () => server.Describe() + diagnostics());
        Assert.True(Mine().SequenceEqual([$"one from {expected}", $"two from {expected}"]),
            $"expected both from {expected}, got:\n{string.Join('\n', Mine())}\n{server.Describe()}");
    }
}
