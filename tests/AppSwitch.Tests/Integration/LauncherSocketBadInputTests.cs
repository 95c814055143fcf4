using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 3, point 3: garbage on the launcher socket (docs/launcher-protocol.md). The test connects to ax.sock
/// itself and sends what a broken or hostile peer would; the agent answers with an ERROR frame naming the
/// problem and closes, keeps no fd it was sent, and still runs a normal `ax run` afterwards.
/// </summary>
public sealed class LauncherSocketBadInputTests(ITestOutputHelper output)
{
    private const byte Run = 1, Plan = 2, Listener = 3, Error = 255;
    private const int MaxFrame = 1 << 20;
    private const string Port = "8080";
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(15);

    private static byte[] Frame(byte type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(1 + payload.Length));
        frame[4] = type;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    private static byte[] RunPayload(byte version, string[] args, string[]? env = null, uint? argcOverride = null)
    {
        var bytes = new List<byte> { version };
        void U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); bytes.AddRange(b); }
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); U32((uint)b.Length); bytes.AddRange(b); }
        U32(argcOverride ?? (uint)args.Length);
        foreach (var a in args) Str(a);
        U32((uint)(env?.Length ?? 0));
        foreach (var e in env ?? []) Str(e);
        return [.. bytes];
    }

    /// <summary>A RUN the agent accepts (it answers PLAN); the app never comes.</summary>
    private static byte[] ValidRun() => Frame(Run, RunPayload(1, ["--ip", VirtualIps.Other, "--", "true"]));

    private static Socket Connect(SingleNode node)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds,
        };
        socket.Connect(new UnixDomainSocketEndPoint(node.Agent.LauncherSocket));
        return socket;
    }

    /// <summary>Reads one frame; null at end of stream. Fails the test when nothing comes in time.</summary>
    private static (byte Type, byte[] Payload)? ReadFrame(Socket socket)
    {
        var header = new byte[4];
        if (!ReadExactly(socket, header)) return null;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        Assert.InRange(length, 1u, (uint)MaxFrame);
        var body = new byte[length];
        Assert.True(ReadExactly(socket, body), "the agent's frame was cut short");
        return (body[0], body[1..]);
    }

    private static bool ReadExactly(Socket socket, byte[] buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            int n;
            try { n = socket.Receive(buffer, done, buffer.Length - done, SocketFlags.None); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
            {
                throw new Xunit.Sdk.XunitException($"the agent neither answered nor closed within {AnswerTimeout.TotalSeconds} s");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return false;
            }
            if (n == 0)
            {
                if (done == 0) return false;
                throw new Xunit.Sdk.XunitException("the agent closed in the middle of a frame");
            }
            done += n;
        }
        return true;
    }

    /// <summary>Expects an ERROR frame (exit code, message) and then the end of the connection.</summary>
    private static (int ExitCode, string Message) ExpectErrorThenClose(Socket socket)
    {
        var frame = ReadFrame(socket);
        Assert.True(frame is not null, "the agent closed without an ERROR frame");
        Assert.True(frame.Value.Type == Error, $"expected an ERROR frame, got type {frame.Value.Type}");
        var payload = frame.Value.Payload;
        var exitCode = BinaryPrimitives.ReadInt32LittleEndian(payload);
        var length = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(4));
        Assert.Equal(payload.Length, 8 + length);
        var message = Encoding.UTF8.GetString(payload, 8, length);
        Assert.DoesNotContain('\n', message);
        Assert.True(ReadFrame(socket) is null, "the agent kept the connection open after its ERROR frame");
        return (exitCode, message);
    }

    private static void ExpectPlan(Socket socket)
    {
        var frame = ReadFrame(socket);
        Assert.True(frame is { Type: Plan }, $"expected a PLAN frame, got {(frame is null ? "end of stream" : $"type {frame.Value.Type}")}");
    }

    private async Task<SingleNode> StartAsync()
    {
        var node = await SingleNode.StartAsync(output);
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

    /// <summary>The agent is alive and a normal `ax run` of a client reaches the server through its virtual IP.</summary>
    private static async Task<CommandResult> AssertAgentStillServesAsync(SingleNode node)
    {
        Assert.False(node.Agent.HasExited, "the agent exited\n" + node.Diagnostics());
        var curl = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlStatus($"http://{VirtualIps.Server}:{Port}/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "200", "a normal `ax run` failed afterwards: " + curl.Describe() + "\n" + node.Diagnostics());
        return curl;
    }

    public static TheoryData<string> BadFrames => new()
    {
        "truncated", "zero-length", "oversized", "version-9", "unknown-type", "huge-argc", "trailing-bytes",
        "http-request", "listener-first", "run-twice", "listener-without-fd", "close-after-run",
        "listener-dns-count-3", "listener-dns-sockets-missing",
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_bad_frame_gets_an_error_frame_and_the_agent_still_serves(string kind)
    {
        await using var node = await StartAsync();
        using (var socket = Connect(node))
        {
            string? expected = null; // a message the ERROR frame must contain; null: the connection just ends
            switch (kind)
            {
                case "truncated":
                    // Says 100 bytes follow, sends 10, then stops sending.
                    socket.Send([100, 0, 0, 0, Run, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
                    socket.Shutdown(SocketShutdown.Send);
                    expected = "truncated frame";
                    break;
                case "zero-length":
                    socket.Send(new byte[4]);
                    expected = $"frame length 0 is outside 1..{MaxFrame}";
                    break;
                case "oversized":
                    var header = new byte[5];
                    BinaryPrimitives.WriteUInt32LittleEndian(header, MaxFrame + 1);
                    header[4] = Run;
                    socket.Send(header);
                    expected = $"frame length {MaxFrame + 1} is outside 1..{MaxFrame}";
                    break;
                case "version-9":
                    socket.Send(Frame(Run, RunPayload(9, ["true"])));
                    expected = "launcher protocol version 9 is not supported";
                    break;
                case "unknown-type":
                    socket.Send(Frame(77, [1, 2, 3]));
                    expected = "expected a RUN frame, got type 77";
                    break;
                case "huge-argc":
                    socket.Send(Frame(Run, RunPayload(1, [], argcOverride: uint.MaxValue)));
                    expected = $"count {uint.MaxValue} exceeds the frame";
                    break;
                case "trailing-bytes":
                    socket.Send(Frame(Run, [.. RunPayload(1, ["true"]), 0xde, 0xad]));
                    expected = "2 unexpected bytes at the end of the frame";
                    break;
                case "http-request":
                    // A peer that is not a launcher at all: "GET " read as a length is far over 1 MiB.
                    socket.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                    expected = $"frame length {BinaryPrimitives.ReadUInt32LittleEndian("GET "u8)} is outside 1..{MaxFrame}";
                    break;
                case "listener-first":
                    socket.Send(Frame(Listener, []));
                    expected = "expected a RUN frame, got type 3";
                    break;
                case "run-twice":
                    socket.Send(ValidRun());
                    ExpectPlan(socket);
                    socket.Send(ValidRun());
                    expected = "expected a LISTENER frame, got type 1";
                    break;
                case "listener-without-fd":
                    socket.Send(ValidRun());
                    ExpectPlan(socket);
                    socket.Send(Frame(Listener, []));
                    expected = "the LISTENER frame must carry exactly one seccomp listener fd";
                    break;
                case "listener-dns-count-3":
                    socket.Send(ValidRun());
                    ExpectPlan(socket);
                    socket.Send(Frame(Listener, [0xFF, 0xFF, 0xFF, 0xFF, 3, 0, 0, 0]));
                    expected = "the LISTENER frame announces 3 DNS sockets (expected 2)";
                    break;
                case "listener-dns-sockets-missing":
                    // Announces the DNS sockets (and their copies) but sends no fd at all.
                    socket.Send(ValidRun());
                    ExpectPlan(socket);
                    socket.Send(Frame(Listener, [0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]));
                    expected = "the LISTENER frame must carry exactly one seccomp listener fd and the 2 DNS sockets it announces";
                    break;
                case "close-after-run":
                    // The launcher dies between PLAN and LISTENER: nothing to answer, nothing may stay behind.
                    socket.Send(ValidRun());
                    ExpectPlan(socket);
                    break;
                default:
                    throw new ArgumentException(kind);
            }
            if (expected is not null)
            {
                var (exitCode, message) = ExpectErrorThenClose(socket);
                output.WriteLine($"{kind}: ERROR {exitCode} \"{message}\"");
                Assert.True(message.Contains(expected, StringComparison.Ordinal), $"ERROR message \"{message}\" should say \"{expected}\"");
                Assert.NotEqual(0, exitCode);
            }
        }
        await AssertAgentStillServesAsync(node);
        // Only the server stays: the curl above goes within moments of its exit, a half-finished launcher's entry never.
        List<AppSwitch.Common.Model.AppRecord> apps = [];
        await Eventually.UntilAsync(async () => (apps = await node.Shell.GetAsync<AppSwitch.Common.Model.AppRecord>()).Count == 1,
            TimeSpan.FromSeconds(15), "only the server's app entry left",
            () => "a half-finished launcher left an app entry: " + string.Join(", ", apps.Select(a => a.AppId)));
    }

    [Theory]
    [InlineData(1)] // a pipe where the seccomp listener should be
    [InlineData(6)] // more fds than a LISTENER may carry (the agent takes at most 4 per read)
    public async Task A_listener_frame_with_wrong_fds_is_refused_and_the_agent_keeps_none_of_them(int count)
    {
        await using var node = await StartAsync();
        var pipes = Enumerable.Range(0, count).Select(_ => UnixFdPassing.Pipe()).ToList();
        try
        {
            using (var socket = Connect(node))
            {
                socket.Send(ValidRun());
                ExpectPlan(socket);
                UnixFdPassing.Send(socket, Frame(Listener, []), pipes.Select(p => p.Write).ToArray());
                foreach (var (_, write) in pipes) UnixFdPassing.Close(write);
                var (exitCode, message) = ExpectErrorThenClose(socket);
                Assert.Equal("the LISTENER frame must carry exactly one seccomp listener fd", message);
                Assert.Equal(1, exitCode);
            }
            // The agent held the only other copies of the write ends: once it closes them, every reader sees a hang-up.
            await Eventually.UntilAsync(() => pipes.All(p => UnixFdPassing.WritersGone(p.Read)), TimeSpan.FromSeconds(5),
                "the agent to close every fd it was sent",
                () => $"{pipes.Count(p => !UnixFdPassing.WritersGone(p.Read))} of {count} still open\n{node.Diagnostics()}");
        }
        finally
        {
            foreach (var (read, _) in pipes) UnixFdPassing.Close(read);
        }
        await AssertAgentStillServesAsync(node);
    }

    [Fact]
    public async Task Silent_peers_are_dropped_after_the_timeout_without_holding_up_a_normal_ax_run()
    {
        const int silent = 20;
        await using var node = await StartAsync();
        var peers = Enumerable.Range(0, silent).Select(_ => Connect(node)).ToList();
        try
        {
            // Meanwhile a real launcher is served: it finishes while every silent peer is still waiting (no answer, not closed).
            await AssertAgentStillServesAsync(node);
            Assert.True(peers.All(p => !p.Poll(0, SelectMode.SelectRead)),
                $"{peers.Count(p => p.Poll(0, SelectMode.SelectRead))} of {silent} silent peers were answered before the `ax run` beside them finished");

            // Then each gets the timeout's ERROR (the sockets' receive timeout is the anti-hang bound).
            var answers = await Task.WhenAll(peers.Select(p => Task.Run(() => ExpectErrorThenClose(p))));
            Assert.All(answers, a => Assert.Equal("timed out waiting for the launcher", a.Message));
        }
        finally
        {
            foreach (var p in peers) p.Dispose();
        }
        await AssertAgentStillServesAsync(node);
    }
}
