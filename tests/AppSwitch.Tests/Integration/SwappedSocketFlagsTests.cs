using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The node socket the agent puts in place of an app's socket at connect has the app's fd flags: close-on-exec
/// (whether a program the app execs inherits the connection) and blocking mode — also when one fd number is
/// reused with other flags, and when the connecting threads come and go.
/// </summary>
public sealed class SwappedSocketFlagsTests(ITestOutputHelper output)
{
    // For each (inheritable, blocking): connect on a fresh socket (the same fd number every time), then print
    // what the kernel says of that fd afterwards, and whether an exec'd program sees the fd.
    private const string FlagsClient = """
        import errno, os, select, socket, subprocess, sys
        host = sys.argv[1]
        for inheritable in (False, True, False, True):
            for blocking in (True, False):
                s = socket.socket()
                s.set_inheritable(inheritable)
                s.setblocking(blocking)
                if blocking:
                    s.connect((host, 80))
                else:
                    rc = s.connect_ex((host, 80))
                    if rc not in (0, errno.EINPROGRESS):
                        sys.exit("connect: %s" % errno.errorcode[rc])
                    select.select([], [s], [], 5)
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        sys.exit("connect failed")
                fd = s.fileno()
                seen = subprocess.run(["/bin/sh", "-c", "test -e /proc/self/fd/%d && echo open || echo closed" % fd],
                                      close_fds=False, capture_output=True, text=True).stdout.strip()
                print(fd, inheritable, blocking, os.get_inheritable(fd), os.get_blocking(fd), seen, s.getpeername()[0], flush=True)
                s.close()
        """;

    [Fact]
    public async Task A_connected_socket_keeps_the_apps_close_on_exec_and_blocking_mode()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["python3", "-c", FlagsClient, VirtualIps.Server],
            TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Describe());

        var lines = result.StdOut.Trim().Split('\n').Select(l => l.Split(' ')).ToList();
        Assert.Equal(8, lines.Count);
        Assert.Single(lines.Select(l => l[0]).Distinct()); // one fd number, reused with other flags each time
        foreach (var line in lines)
        {
            var (inheritable, blocking) = (line[1], line[2]);
            Assert.True(line[3] == inheritable && line[4] == blocking, $"asked inheritable={inheritable} blocking={blocking}, got {string.Join(' ', line)}");
            Assert.Equal(inheritable == "True" ? "open" : "closed", line[5]);
            Assert.Equal(VirtualIps.Server, line[6]); // a swapped node socket: the peer is the virtual address
        }
    }

    // Threads that each connect once and exit: the agent keeps handles per app thread and must close them.
    private const string ThreadsClient = """
        import signal, socket, sys, threading
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        def once():
            with socket.create_connection((sys.argv[1], 80)) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                while s.recv(4096): pass
        once() # before the baseline: what the agent keeps for the main thread and the app (a spare socket) stays
        print("ready", flush=True)
        signal.sigwait([signal.SIGUSR1])
        for _ in range(int(sys.argv[2])):
            t = threading.Thread(target=once)
            t.start()
            t.join()
        print("done", flush=True)
        signal.sigwait([signal.SIGUSR1])
        """;

    [Fact]
    public async Task The_agent_closes_what_it_kept_for_threads_that_exited()
    {
        const int threads = 40; // more than the agent keeps handles for at once
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", ThreadsClient, VirtualIps.Server, threads.ToString()]);
        await app.WaitForOutputAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the app to start");
        var baseline = node.Agent.OpenFds;

        Assert.True(app.Signal(Signals.SIGUSR1));
        await app.WaitForOutputAsync(o => o.Contains("done"), TimeSpan.FromSeconds(60), $"{threads} threads to connect");

        var now = 0;
        var took = await Eventually.UntilAsync(() => (now = node.Agent.OpenFds) <= baseline, TimeSpan.FromSeconds(10),
            $"the agent's open fds to return to {baseline}", () => $"agent has {now} open fds\n{app.Describe()}\n{node.Diagnostics()}");
        output.WriteLine($"agent fds back to {baseline} {took.TotalMilliseconds:F0} ms after the last thread");
        Assert.False(app.HasExited, app.Describe());
    }
}
