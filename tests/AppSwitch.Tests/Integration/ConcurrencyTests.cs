using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Children, threads, several apps, slow and interrupted connects: the agent serves them all at once.</summary>
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    /// <summary>An address on the test bridge that nobody has: ARP fails, so connect hangs ~3 s, then EHOSTUNREACH.</summary>
    private const string Nobody = "10.77.0.99";

    private const string ThreadedClient = """
        import sys, urllib.request
        from concurrent.futures import ThreadPoolExecutor
        def get(_):
            with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
                return r.status
        with ThreadPoolExecutor(8) as pool:
            print(" ".join(str(s) for s in pool.map(get, range(32))))
        """;

    private const string TimedConnect = """
        import errno, socket, sys, time
        s = socket.socket()
        print("connecting", flush=True)
        t = time.monotonic()
        try:
            s.connect((sys.argv[1], int(sys.argv[2])))
            print("connected", 0)
        except OSError as e:
            print(errno.errorcode.get(e.errno, e.errno), round(time.monotonic() - t, 3))
        """;

    /// <summary>
    /// A listener on the node address (port printed) that never accepts and whose accept queue is full: the kernel
    /// drops every further SYN, so a connect to it stays pending (SYN retransmits for ~2 min) however slow the test
    /// is. Once the listener is gone the next retransmit is answered by a reset: ECONNREFUSED.
    /// </summary>
    private const string FullBacklogListener = """
        import select, signal, socket, sys
        listener = socket.socket()
        listener.bind((sys.argv[1], 0))
        listener.listen(0)
        filler = socket.create_connection(listener.getsockname())
        select.select([listener], [], [])  # readable: the filler sits in the accept queue, which is now full
        print(listener.getsockname()[1], flush=True)
        signal.pause()
        """;

    private const string InterruptedConnects = """
        import signal, socket, sys
        class Interrupted(Exception): pass
        def alarm(*_): raise Interrupted()
        signal.signal(signal.SIGALRM, alarm)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        # One connect that fails at once (no route) before the test's baseline: the agent then holds what it keeps
        # open per app thread (its pidfd and fdinfo file, see ThreadHandles), which is reused, not leaked.
        warm = socket.socket()
        try:
            warm.connect((sys.argv[4], 80))
        except OSError:
            pass
        warm.close()
        print("ready", flush=True)
        signal.sigwait([signal.SIGUSR1])
        interrupted = 0
        for _ in range(int(sys.argv[3])):
            s = socket.socket()
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            try:
                s.connect((sys.argv[1], int(sys.argv[2])))
            except Interrupted:
                interrupted += 1
            except OSError as e:
                print("error", e.errno, flush=True)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                s.close()
        print("done", interrupted, flush=True)
        signal.sigwait([signal.SIGUSR1])
        """;

    [Fact]
    public async Task Threads_and_forked_children_of_one_app_all_reach_the_server()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        var threads = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", ThreadedClient, $"http://{VirtualIps.Server}/"], TimeSpan.FromSeconds(60));
        Assert.True(threads.ExitCode == 0 && threads.StdOut.Trim().Split(' ').SequenceEqual(Enumerable.Repeat("200", 32)),
            threads.Describe());

        // A shell whose background children each run curl: the filter is inherited by every child.
        var url = $"http://{VirtualIps.Server}/";
        var script = string.Join(" ", Enumerable.Range(0, 6).Select(i => $"curl -sS -o /dev/null -w '%{{http_code}}\\n' {url} > out{i} &")) + " wait; cat out*";
        var children = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["sh", "-c", $"cd {node.Network.Temp.NewSubdirectory("children")} || exit 1; {script}"]);
        Assert.True(children.ExitCode == 0 && children.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(Enumerable.Repeat("200", 6)),
            children.Describe());
    }

    [Fact]
    public async Task Several_apps_on_several_virtual_ips_are_served_at_once()
    {
        await using var node = await SingleNode.StartAsync(output);
        var ips = Enumerable.Range(10, 5).Select(i => $"198.18.0.{i}").ToList();
        foreach (var ip in ips)
        {
            var root = DocumentRoot(node.Network.Temp, ip, ("index.html", $"server {ip}"));
            node.Shell.StartUnderAx(["--ip", ip], PythonHttpServer(root));
        }
        foreach (var ip in ips) await node.Shell.WaitForServerAsync($"{ip}:80");

        var clients = ips.Select(ip => node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlBodyAndStatus($"http://{ip}/"))).ToList();
        var results = await Task.WhenAll(clients);
        for (var i = 0; i < ips.Count; i++)
        {
            Assert.True(results[i].ExitCode == 0, results[i].Describe());
            Assert.Equal($"server {ips[i]}\n200", results[i].StdOut);
        }
    }

    [Fact]
    public async Task A_slow_blocking_connect_does_not_hold_up_other_apps_and_gets_its_own_errno()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        var nodeAddress = node.Network.Nodes[0].Address;
        var silent = node.Shell.Start("python3", "-c", FullBacklogListener, nodeAddress);
        await silent.WaitForOutputAsync(o => o.EndsWith('\n'), TimeSpan.FromSeconds(30), "the full-backlog listener");
        var silentPort = silent.StdOut.Trim();
        var slow = node.Shell.StartUnderAx(["--ip", VirtualIps.Other], ["python3", "-c", TimedConnect, nodeAddress, silentPort]);
        await slow.WaitForOutputAsync(o => o.Contains("connecting"), TimeSpan.FromSeconds(30), "the slow client to start connecting");

        // The slow connect cannot end while the listener lives: "still pending" below does not depend on timing.
        var fast = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlStatus($"http://{VirtualIps.Server}/"));
        Assert.True(fast.ExitCode == 0 && fast.StdOut == "200", fast.Describe());
        Assert.False(slow.HasExited, "the slow connect ended although its target never answered: " + slow.Describe());

        // Its own errno: the listener goes, the next SYN retransmit is refused (within the ~2 min of retransmits).
        Assert.True(silent.Signal(Signals.SIGKILL));
        var slowResult = await slow.WaitForExitAsync(TimeSpan.FromSeconds(150));
        var parts = slowResult.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Split(' ');
        Assert.True(parts[0] == "ECONNREFUSED", "the slow connect should end as the node's network ends it: " + slowResult.Describe());
    }

    [Fact]
    public async Task Interrupted_connects_leak_no_agent_file_descriptors()
    {
        const int attempts = 10;
        await using var node = await SingleNode.StartAsync(output);
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", InterruptedConnects, Nobody, "80", attempts.ToString(), VirtualIps.Other]);
        await app.WaitForOutputAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the app to start");
        var baseline = node.Agent.OpenFds;

        Assert.True(app.Signal(Signals.SIGUSR1));
        await app.WaitForOutputAsync(o => o.Contains("done"), TimeSpan.FromSeconds(30), "the interrupted connects");
        Assert.Contains($"done {attempts}", app.StdOut);

        // Pending node connects end (EHOSTUNREACH after ~3 s); then the agent must hold no more fds than before.
        int now = 0;
        await Eventually.UntilAsync(() => (now = node.Agent.OpenFds) <= baseline, TimeSpan.FromSeconds(15),
            $"the agent's open fds to return to {baseline} after {attempts} interrupted connects",
            () => $"agent has {now} open fds (was {baseline})\n{node.Diagnostics()}");
    }
}
