using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// An agent restarted in a cluster takes its apps' calls back before its first push/pull has brought the other
/// nodes' servers. A connect to a server on another node in that moment must not fail (it was ENETUNREACH for
/// ~2-3 s: the virtual IP was unknown, so it went to the node's network): it is held until the cluster's table is
/// here, then connected.
/// </summary>
public sealed class ClusterRestartTests(ITestOutputHelper output)
{
    private const string RemoteIp = "198.18.0.3";
    private const int Port = 7000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_connecting_to_another_nodes_server_across_its_agents_restart_never_fails(bool blocking)
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var server = cluster.Shell(1).StartUnderAx(["--ip", RemoteIp], ["socat", $"TCP-LISTEN:{Port},fork,reuseaddr", "EXEC:echo hi"]);
        await cluster.Shell(1).WaitForServerAsync($"{RemoteIp}:{Port}", server: server);
        await Eventually.UntilAsync(async () => (await cluster.ServersAsync(cluster.Agents[0], $"{RemoteIp}:{Port}")).Count > 0,
            TimeSpan.FromSeconds(20), $"n1 to list n2's server {RemoteIp}:{Port}", () => cluster.Logs());

        var stop = Path.Combine(cluster.Network.Temp.Path, "stop");
        var client = cluster.Shell(0).StartUnderAx([], ["python3", "-c", LoopClient, RemoteIp, Port.ToString(), stop, blocking ? "blocking" : "timeout"]);
        await client.WaitForOutputAsync(o => CountOk(o) >= 3, TimeSpan.FromSeconds(20), "the client's first connects");

        var n1 = cluster.Agents[0];
        await n1.KillAsync();
        var okBefore = CountOk(client.StdOut);
        var restarted = await n1.RestartAsync(cluster.Network);

        await client.WaitForOutputAsync(o => CountOk(o) >= okBefore + 10, TimeSpan.FromSeconds(30), "the client's connects after the restart");
        File.WriteAllText(stop, "");
        var result = await client.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var failures = result.StdOut.Split('\n').Where(l => l.StartsWith("errno")).ToList();
        output.WriteLine($"{CountOk(result.StdOut)} connects ok ({okBefore} before the kill), failed: {string.Join(", ", failures)}");
        Assert.True(result.ExitCode == 0 && failures.Count == 0, result.Describe() + restarted.Output);
    }

    private static int CountOk(string output) => output.Split('\n').Count(l => l == "ok");

    /// <summary>Connects again and again until the stop file exists: "ok" or "errno N" per connect; blocking sockets,
    /// or sockets with a timeout (Python connects those non-blocking and polls).</summary>
    private const string LoopClient = """
        import os, socket, sys, time
        host, port, stop, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        while not os.path.exists(stop):
            s = socket.socket()
            if mode == "timeout": s.settimeout(10)
            try:
                s.connect((host, port)); print("ok", flush=True)
            except OSError as e:
                print("errno", e.errno, flush=True)
            finally:
                s.close()
            time.sleep(0.02)
        """;
}
