using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// A server that closes its listener and listens again on the same port (iperf3 does it after every test, servers
/// do it on reload) keeps its node port, so whatever points at the node port (a plain client, a proxy, a DNAT rule)
/// still reaches it.
/// </summary>
public sealed class RebindTests(ITestOutputHelper output)
{
    // Listens on 9000, and when the file named by argv[1] appears, closes the listener and listens on 9000 again.
    private const string ListenTwice = """
        import os, socket, sys, time
        def listen():
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 9000)); s.listen(); return s
        first = listen(); print("first", flush=True)
        while not os.path.exists(sys.argv[1]): time.sleep(0.02)
        first.close()
        second = listen(); print("second", flush=True)
        conn, _ = second.accept(); conn.sendall(b"still here"); conn.close()
        """;

    [Fact]
    public async Task A_server_listening_again_on_the_same_port_gets_its_node_port_back()
    {
        await using var node = await SingleNode.StartAsync(output);
        var trigger = Path.Combine(node.Network.Temp.Path, "listen-again");
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", ListenTwice, trigger]);
        var before = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:9000", server: server);

        File.WriteAllText(trigger, "");
        await server.WaitForOutputAsync(o => o.Contains("second"), NodeShell.DefaultTimeout, "the second listen");
        ServerRecord? after = null;
        await Eventually.UntilAsync(async () =>
            (after = (await node.Shell.GetAsync<ServerRecord>())
                .SingleOrDefault(s => s.ServiceAddr == $"{VirtualIps.Server}:9000" && s.Inode != before.Inode)) is not null,
            NodeShell.DefaultTimeout, "the new listener in `ax get servers`");

        Assert.Equal(before.Ipv4Addr, after!.Ipv4Addr);
        // A plain client on the node, which only knows the node address, reaches the new listener.
        var direct = await node.Shell.RunAsync(["python3", "-c",
            $"import socket; s = socket.create_connection(('{before.Ipv4Addr.Split(':')[0]}', {before.Ipv4Addr.Split(':')[1]})); print(s.recv(100).decode())"]);
        Assert.True(direct.ExitCode == 0, direct.Describe());
        Assert.Equal("still here", direct.StdOut.Trim());
    }
}
