using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 3, point 2: applications that pass bad pointers and lengths, close their inherited fds, fork a storm
/// of clients or die in the middle of a connect (tests/helpers/misbehave.c). Each gets what the kernel would
/// give it, and afterwards the agent still serves other applications.
/// </summary>
public sealed class MisbehavingAppTests(ITestOutputHelper output)
{
    private const string Port = "8080";
    private static readonly string ServiceUrl = $"http://{VirtualIps.Server}:{Port}/";
    /// <summary>An address on the test bridge that nobody has: ARP fails, so a connect hangs ~3 s, then EHOSTUNREACH.</summary>
    private const string Nobody = "10.77.0.99";

    private sealed record Setup(SingleNode Node, string Helper) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }

    /// <summary>A node with `misbehave serve` on 198.18.0.1:8080 under ax.</summary>
    private async Task<Setup> StartAsync()
    {
        var node = await SingleNode.StartAsync(output);
        try
        {
            var helper = await HelperPrograms.BuildAsync("misbehave");
            var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], [helper, "serve", Port]);
            await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);
            return new Setup(node, helper);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>The agent is alive and another app still reaches the server through its virtual IP.</summary>
    private static async Task AssertAgentStillServesAsync(SingleNode node)
    {
        Assert.False(node.Agent.HasExited, "the agent exited\n" + node.Diagnostics());
        var curl = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlStatus(ServiceUrl));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "200", "another app can no longer reach the server: " + curl.Describe() + "\n" + node.Diagnostics());
    }

    private static Dictionary<string, string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);

    [Theory]
    // mode, the errno every call must get (the kernel's, checked by running the helper without ax too)
    [InlineData("badptr", "EFAULT")]
    [InlineData("badlen", "EINVAL")]
    [InlineData("families", null)] // addresses of the other family: the kernel's answer depends on protocol and length
    public async Task Bad_pointers_and_lengths_get_the_kernels_errno_and_the_agent_carries_on(string mode, string? errno)
    {
        await using var setup = await StartAsync();
        var node = setup.Node;

        // The family cases need an address that works natively too (UDP connects): the node's own.
        var ip = mode == "families" ? node.Node.Address : VirtualIps.Server;
        var native = await node.Shell.RunAsync([setup.Helper, mode, ip, Port]);
        var underAx = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], [setup.Helper, mode, ip, Port]);
        output.WriteLine(native.Describe());
        output.WriteLine(underAx.Describe());
        Assert.True(native.ExitCode == 0 && underAx.ExitCode == 0, native.Describe() + "\n" + underAx.Describe());

        var kernel = Lines(native.StdOut);
        var seen = Lines(underAx.StdOut);
        Assert.True(kernel.Count >= 5, "the helper printed too little: " + native.Describe());
        // Calls on a closed fd or a pipe (CASE-badfd, CASE-pipefd) check the order of the checks: the kernel is the reference.
        string Expected(string call) => call.EndsWith("-badfd") ? "EBADF" : call.EndsWith("-pipefd") || errno is null ? kernel[call] : errno;
        var wrong = kernel
            .Where(k => k.Value != Expected(k.Key) || seen.GetValueOrDefault(k.Key) != k.Value)
            .Select(k => $"{k.Key}: kernel {k.Value}, under ax {seen.GetValueOrDefault(k.Key, "(not printed)")}, expected {Expected(k.Key)}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong) + "\n" + underAx.Describe() + "\n" + node.Diagnostics());
        Assert.Equal(kernel.Count, seen.Count);

        await AssertAgentStillServesAsync(node);
    }

    [Fact]
    public async Task An_app_that_closes_every_inherited_fd_still_connects_through_a_virtual_ip()
    {
        await using var setup = await StartAsync();
        var node = setup.Node;
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], [setup.Helper, "closefds", VirtualIps.Server, Port]);
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + node.Diagnostics());
        var lines = Lines(result.StdOut);
        Assert.True(lines.ContainsKey("closed"), result.Describe());
        Assert.Equal("HTTP/1.0 200 OK", lines.GetValueOrDefault("reply"));

        await AssertAgentStillServesAsync(node);
    }

    [Fact]
    public async Task Two_hundred_forked_children_connecting_at_once_all_get_their_reply()
    {
        const int children = 200;
        await using var setup = await StartAsync();
        var node = setup.Node;
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            [setup.Helper, "forkstorm", children.ToString(), VirtualIps.Server, Port], TimeSpan.FromSeconds(90));
        output.WriteLine($"fork storm of {children} took {result.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + node.Diagnostics());
        Assert.Equal($"ok {children}/{children}", result.StdOut.Trim());

        // Every child's connect was a separate trapped call; none of them may be left in the table.
        List<AppRecord> apps = [];
        await Eventually.UntilAsync(async () => (apps = await node.Shell.GetAsync<AppRecord>()).Count == 1, TimeSpan.FromSeconds(5),
            "only the server to be left in `ax get apps`", () => string.Join(", ", apps.Select(a => a.AppId)) + "\n" + node.Diagnostics());
        await AssertAgentStillServesAsync(node);
    }

    [Theory]
    [InlineData("self")]   // the app itself dies: its session ends
    [InlineData("child")]  // one process of a running app dies: its session goes on
    public async Task An_app_killed_mid_connect_leaks_no_agent_fds(string who)
    {
        await using var setup = await StartAsync();
        var node = setup.Node;
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Client], [setup.Helper, "killmid", Nobody, "80", who]);
        await app.WaitForOutputAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the app to start");
        var baseline = node.Agent.OpenFds;

        Assert.True(app.Signal(Signals.SIGUSR1), "could not signal the app");
        await app.WaitForOutputAsync(o => o.Contains("connecting "), TimeSpan.FromSeconds(10), "the app to start connecting");
        var pid = int.Parse(app.StdOut.Split('\n').First(l => l.StartsWith("connecting ")).Split(' ')[1]);
        // The agent holds the node socket of the pending connect: that is "mid-connect".
        var during = 0;
        await Eventually.UntilAsync(() => (during = node.Agent.OpenFds) > baseline, TimeSpan.FromSeconds(2),
            "the agent to hold the pending connect's node socket", () => $"agent fds {during}, baseline {baseline}\n{app.Describe()}");
        Assert.DoesNotContain("connect ", app.StdOut.Replace("connecting ", ""));
        Assert.True(Signals.Send(pid, Signals.SIGKILL), $"could not kill {pid}");

        if (who == "child")
        {
            await app.WaitForOutputAsync(o => o.Contains("child "), TimeSpan.FromSeconds(10), "the parent to see its child die");
            Assert.Contains($"child killed-by {Signals.SIGKILL}", app.StdOut);
        }
        else
        {
            var result = await app.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.True(result.ExitCode == 128 + Signals.SIGKILL || result.ExitCode == -1 || result.ExitCode == 137, result.Describe());
        }

        var now = 0;
        var took = await Eventually.UntilAsync(() => (now = node.Agent.OpenFds) <= baseline, TimeSpan.FromSeconds(10),
            $"the agent's open fds to return to {baseline} after the kill",
            () => $"agent has {now} open fds (baseline {baseline}, {during} mid-connect)\n{node.Diagnostics()}");
        output.WriteLine($"agent fds: baseline {baseline}, mid-connect {during}, back after {took.TotalMilliseconds:F0} ms");

        if (who == "child")
        {
            // The app itself is fine and still supervised: a new connect from it works.
            Assert.False(app.HasExited, app.Describe());
            Assert.True(app.Signal(Signals.SIGUSR1));
            var result = await app.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.True(result.ExitCode == 0, result.Describe());
        }
        await AssertAgentStillServesAsync(node);
    }
}
