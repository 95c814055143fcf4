using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Every failing connect costs the agent no fd: the node socket it made (or borrowed) is closed on each failure path,
/// counted in /proc/AGENT/fd across many rounds. (An app gone between the trap and the answer: MisbehavingAppTests.)
/// </summary>
public sealed class AgentFdLeakTests(ITestOutputHelper output)
{
    private const string Vip = "198.18.77.7";
    private const int Rounds = 25;

    /// <summary>
    /// Connects to each HOST:PORT:MODE (b blocking, nb non-blocking, waiting for the outcome) one round at the first
    /// SIGUSR1 (the warm-up: the agent opens its handles for this thread then) and ROUNDS rounds at the second,
    /// printing "TARGET=OUTCOME COUNT" after each.
    /// </summary>
    private const string FailingClient = """
        import errno, select, signal, socket, sys
        rounds, targets = int(sys.argv[1]), [t.rsplit(":", 2) for t in sys.argv[2:]]
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        print("ready", flush=True)
        def connect(host, port, mode):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(mode == "b")
            try:
                s.connect((host, int(port)))
                return "connected"
            except OSError as e:
                if e.errno != errno.EINPROGRESS:
                    return errno.errorcode.get(e.errno, str(e.errno))
                select.select([], [s], [], 10)
                return errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "connected")
            finally:
                s.close()
        for phase, n in (("warm", 1), ("done", rounds)):
            signal.sigwait([signal.SIGUSR1])
            counts = {}
            for _ in range(n):
                for host, port, mode in targets:
                    key = f"{host}:{port}:{mode}=" + connect(host, port, mode)
                    counts[key] = counts.get(key, 0) + 1
            for key, count in sorted(counts.items()):
                print(key, count, flush=True)
            print(phase, flush=True)
        signal.sigwait([signal.SIGUSR1])
        """;

    [Fact]
    public async Task Failed_connects_leave_the_agent_no_more_fds_than_before()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        // A vservice whose source IP is no local address: the agent's bind of the node socket fails (EADDRNOTAVAIL).
        var created = await node.Shell.AxAsync("create", "vservice", "--ip", Vip, "--backends", node.Node.Address,
            "--ports", "80:9", "--source-ip", "10.99.99.99", "badsrc");
        Assert.True(created.ExitCode == 0, created.Describe());

        var expected = new Dictionary<string, string>
        {
            [$"{VirtualIps.Server}:81:b"] = "ECONNREFUSED", // the resolver refuses: no node socket at all
            [$"{node.Node.Address}:9:b"] = "ECONNREFUSED",  // a node socket the node's kernel refuses
            [$"{node.Node.Address}:9:nb"] = "ECONNREFUSED", // the same, non-blocking (EINPROGRESS first, or at once)
            ["198.19.255.1:80:b"] = "ENETUNREACH",         // a node socket with no route
            [$"{Vip}:80:b"] = "EADDRNOTAVAIL",             // a node socket whose source bind fails
        };
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Client],
            ["python3", "-c", FailingClient, Rounds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. expected.Keys]);
        await app.WaitForOutputAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the app to start");

        Assert.True(app.Signal(Signals.SIGUSR1), "could not signal the app");
        await app.WaitForOutputAsync(o => o.Contains("warm"), TimeSpan.FromSeconds(30), "the warm-up round");
        var baseline = node.Agent.OpenFds;

        Assert.True(app.Signal(Signals.SIGUSR1), "could not signal the app");
        await app.WaitForOutputAsync(o => o.Contains("done"), TimeSpan.FromSeconds(120), $"{Rounds} rounds of failing connects");
        foreach (var (target, errno) in expected)
            Assert.True(app.StdOut.Contains($"{target}={errno} {Rounds}\n", StringComparison.Ordinal),
                $"expected {target} to fail with {errno} in all {Rounds} rounds: {app.Describe()}");

        var now = 0;
        await Eventually.UntilAsync(() => (now = node.Agent.OpenFds) <= baseline, TimeSpan.FromSeconds(10),
            $"the agent's open fds to be back at {baseline}",
            () => $"agent has {now} open fds after {Rounds * expected.Count} failed connects (baseline {baseline})\n{node.Diagnostics()}");
        output.WriteLine($"agent fds: {baseline} after the warm-up, {now} after {Rounds * expected.Count} failed connects");
        Assert.False(app.HasExited, app.Describe());
    }
}
