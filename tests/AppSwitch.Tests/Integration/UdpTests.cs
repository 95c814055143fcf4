using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>UDP: a bound datagram server on a virtual IP answers a client that connected its socket.</summary>
public sealed class UdpTests(ITestOutputHelper output)
{
    /// <summary>Answers every datagram in upper case to whoever sent it (recvfrom + sendto); shared with UnconnectedUdpTests.</summary>
    internal const string EchoServer = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        print("bound", flush=True)
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(data.upper(), peer)
        """;

    private const string ConnectedClient = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.connect((sys.argv[1], int(sys.argv[2])))
        s.send(b"ping")
        print(s.recv(2048).decode(), s.getpeername()[0] + ":" + str(s.getpeername()[1]))
        """;

    [Fact]
    public async Task Udp_echo_server_on_a_virtual_ip_answers_a_connected_client()
    {
        await using var node = await SingleNode.StartAsync(output);
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", EchoServer, "5300"]);
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:5300", server: server);
        Assert.Equal("udp", entry.Proto);

        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", ConnectedClient, VirtualIps.Server, "5300"]);
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + server.Describe());
        Assert.Equal($"PING {VirtualIps.Server}:5300", result.StdOut.Trim());
    }
}
