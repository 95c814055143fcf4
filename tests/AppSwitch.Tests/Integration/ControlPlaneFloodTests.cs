using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 20 point 5: hostile load on the control plane. A launcher socket flooded by half-open clients (connected,
/// silent or half a frame) and a slowloris on the REST port: the agent keeps a bounded number of them, cuts them at
/// --handshake-timeout, counts and logs the refusals, and a real `ax run` and `ax get apps` are served throughout.
/// </summary>
public sealed partial class ControlPlaneFloodTests(ITestOutputHelper output)
{
    private const string Port = "8080";
    private const int WaitingPerUid = 256; // AdmissionLimits.LauncherWaitingPerUid
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private static readonly string Slowloris = Path.Combine(RepoLayout.HelpersDir, "slowloris.py");

    [GeneratedRegex("""^appswitch_control_refusals_total\{endpoint="(\w+)",reason="(\w+)"\} (\d+)$""", RegexOptions.Multiline)]
    private static partial Regex RefusalSample();

    private async Task<SingleNode> StartWithServerAsync(string handshakeTimeout)
    {
        var node = await SingleNode.StartAsync(output, "--handshake-timeout", handshakeTimeout);
        try
        {
            var helper = await HelperPrograms.BuildAsync("misbehave");
            var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], [helper, "serve", Port]);
            await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects to ax.sock; every other one also sends half a frame (a header announcing 100 bytes, and 3 of them).</summary>
    private static Socket HalfOpen(SingleNode node, int index)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(node.Agent.LauncherSocket));
        if (index % 2 == 1) socket.Send([100, 0, 0, 0, 1, 1, 0]);
        return socket;
    }

    /// <summary>Whether the agent has answered or closed (the socket is readable); a held client stays unreadable.</summary>
    private static bool Closed(Socket socket) => socket.Poll(0, SelectMode.SelectRead);

    /// <summary>
    /// The message of the ERROR frame the agent sent before closing (empty: it closed without one; "reset": the kernel
    /// dropped it because the client's own bytes were still unread when the agent closed — a trickler's late byte).
    /// </summary>
    private static string ErrorMessage(Socket socket)
    {
        socket.ReceiveTimeout = 10_000;
        var bytes = new List<byte>();
        var buffer = new byte[4096];
        int n;
        try
        {
            while ((n = socket.Receive(buffer)) > 0) bytes.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
        if (bytes.Count < 13 || bytes[4] != 255) return "";
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.ToArray().AsSpan(9));
        return Encoding.UTF8.GetString(bytes.ToArray(), 13, length);
    }

    private static async Task<Dictionary<string, long>> RefusalsAsync(SingleNode node)
    {
        var scrape = await node.Shell.RunAsync(["curl", "-sS", $"{node.Agent.RestUrl}/metrics"]);
        Assert.True(scrape.ExitCode == 0, scrape.Describe());
        return RefusalSample().Matches(scrape.StdOut).ToDictionary(m => $"{m.Groups[1].Value} {m.Groups[2].Value}", m => long.Parse(m.Groups[3].Value));
    }

    private static async Task AssertRealClientsServedAsync(SingleNode node)
    {
        Assert.False(node.Agent.HasExited, "the agent exited\n" + node.Diagnostics());
        var curl = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlStatus($"http://{VirtualIps.Server}:{Port}/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "200", "a real `ax run` failed: " + curl.Describe() + "\n" + node.Diagnostics());
        var apps = await node.Shell.AxAsync("get", "apps");
        Assert.True(apps.ExitCode == 0 && apps.StdOut.Contains(VirtualIps.Server), "`ax get apps` failed: " + apps.Describe());
    }

    [Fact]
    public async Task A_thousand_half_open_launcher_clients_leave_ax_run_and_ax_get_apps_working_and_hold_few_fds()
    {
        const int flood = 1000;
        // A timeout far beyond the test: every client the agent closes here was pushed out, none timed out.
        await using var node = await StartWithServerAsync("300s");
        var fdsBefore = node.Agent.OpenFds;
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < flood; i++) clients.Add(HalfOpen(node, i));
            // One uid may keep 256 connections waiting for their RUN frame: the agent closes the oldest as new ones come.
            await Eventually.UntilAsync(() => clients.Count(Closed) >= flood - WaitingPerUid, Generous,
                $"the agent to close the {flood - WaitingPerUid} oldest half-open clients",
                () => $"{clients.Count(Closed)} closed\n{node.Diagnostics()}");
            Assert.True(node.Agent.OpenFds - fdsBefore <= WaitingPerUid + 32,
                $"the agent holds {node.Agent.OpenFds - fdsBefore} more fds than before the flood of {flood}");

            await AssertRealClientsServedAsync(node);

            // The real launcher pushed out one more; the newest 255 flood clients are still held, unanswered.
            Assert.Equal(flood - WaitingPerUid + 1, clients.Count(Closed));
            Assert.All(clients.Take(flood - WaitingPerUid + 1), c => Assert.True(Closed(c), "an old client is still held"));
            Assert.All(clients.Skip(flood - WaitingPerUid + 1), c => Assert.False(Closed(c), "a newer client was closed before an older one"));
            Assert.Equal("closed before a RUN frame came: newer connections needed the room", ErrorMessage(clients[0]));
            var refusals = await RefusalsAsync(node);
            Assert.Equal(flood - WaitingPerUid + 1, refusals.GetValueOrDefault("launcher evicted"));
            Assert.Equal(0, refusals.GetValueOrDefault("launcher timeout"));
            Assert.Contains("launcher: closed a connection of uid 0", node.Agent.Output);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task Silent_half_frame_and_trickling_launcher_clients_are_cut_at_the_handshake_timeout()
    {
        await using var node = await StartWithServerAsync("2s");
        var clients = Enumerable.Range(0, 20).Select(i => HalfOpen(node, i)).ToList();
        // A client that trickles its RUN frame a byte at a time: each byte would satisfy a per-read timeout.
        var trickler = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        trickler.Connect(new UnixDomainSocketEndPoint(node.Agent.LauncherSocket));
        trickler.Send([200, 0, 0, 0]);
        using var stop = new CancellationTokenSource(Generous);
        var trickled = Task.Run(async () =>
        {
            var sent = 0;
            while (sent < 199 && !stop.IsCancellationRequested && !Closed(trickler))
            {
                try { trickler.Send([1]); }
                catch (SocketException) { break; }
                sent++;
                await Task.Delay(200);
            }
            return sent;
        });
        try
        {
            await Eventually.UntilAsync(() => clients.All(Closed) && Closed(trickler), Generous,
                "the agent to close every half-open client and the trickler",
                () => $"{clients.Count(Closed)} of {clients.Count} closed, trickler closed: {Closed(trickler)}\n{node.Diagnostics()}");
            Assert.True(await trickled < 199, "the trickler sent its whole frame before the agent cut it");
            Assert.All(clients, c => Assert.Equal("timed out waiting for the launcher", ErrorMessage(c)));
            Assert.Contains(ErrorMessage(trickler), new[] { "timed out waiting for the launcher", "reset" });

            var refusals = await RefusalsAsync(node);
            Assert.Equal(clients.Count + 1, refusals.GetValueOrDefault("launcher timeout"));
            Assert.Equal(0, refusals.GetValueOrDefault("launcher evicted"));
            await AssertRealClientsServedAsync(node);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var c in clients) c.Dispose();
            trickler.Dispose();
        }
    }

    [Fact]
    public async Task A_slowloris_and_an_idle_client_on_the_rest_port_are_cut_at_the_handshake_timeout()
    {
        await using var node = await StartWithServerAsync("2s");
        var port = node.Agent.RestPort.ToString();
        var trickle = node.Shell.RunAsync(["python3", Slowloris, node.Node.Address, port, "trickle", "60"], TimeSpan.FromSeconds(90));
        var idle = node.Shell.RunAsync(["python3", Slowloris, node.Node.Address, port, "idle", "60"], TimeSpan.FromSeconds(90));

        var (trickleResult, idleResult) = (await trickle, await idle);
        Assert.True(trickleResult.ExitCode == 0, trickleResult.Describe() + "\n" + node.Diagnostics());
        Assert.Matches("^closed after [0-9]+ bytes sent, answer: HTTP/1.1 408 Request Timeout$", trickleResult.StdOut.Trim());
        Assert.True(idleResult.ExitCode == 0, idleResult.Describe() + "\n" + node.Diagnostics());
        Assert.Equal("closed after 0 bytes sent, answer: none", idleResult.StdOut.Trim());
        await AssertRealClientsServedAsync(node);
    }
}
