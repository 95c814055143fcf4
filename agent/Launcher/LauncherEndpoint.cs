using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Admission;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Kubernetes.Adapter;
using AppSwitch.Agent.Kubernetes.PodIdentity;
using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Paths;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Launcher;

/// <summary>
/// Serves `ax run` launchers on &lt;socket-dir&gt;/ax.sock: parses their arguments into a plan, takes the seccomp
/// listener they hand over, registers the app and starts supervising it (docs/launcher-protocol.md).
/// A connection waits for its RUN frame without a thread, in a bounded waiting room (a flood of half-open clients
/// pushes out its own oldest, never a launcher that speaks); each frame must arrive within --handshake-timeout; the
/// rest of a handshake holds a thread, bounded per uid (<see cref="AdmissionLimits"/>).
/// </summary>
public sealed class LauncherEndpoint(AgentOptions options, ServiceTable table, Kubernetes.KubernetesRegistry kubernetes, Supervisor supervisor,
    NameService.DnsServer dns, AgentMetrics metrics, ILogger<LauncherEndpoint> logger) : BackgroundService
{
    private Socket? _listener;
    private readonly WaitingRoom<uint, CancellationTokenSource> _waiting = new(AdmissionLimits.LauncherWaitingPerUid, AdmissionLimits.LauncherWaiting);
    private readonly PeerSlots<uint> _handshakes = new(AdmissionLimits.LauncherHandshakesPerUid, AdmissionLimits.LauncherHandshakes);
    private readonly AdmissionRefusals _refusals = new("launcher", metrics, logger);
    private readonly HashSet<IPAddress> _reserved = [];
    // Kubernetes mode only: the pod a launcher runs as is derived from its cgroup, not taken on its word.
    private readonly PodIdentityVerifier? _pods = options.DiscoveryAdapter == KubernetesAdapter.Name
        ? new PodIdentityVerifier(kubernetes, options.Kubernetes.CgroupRoot, options.Kubernetes.Namespace)
        : null;

    public string SocketPath { get; } = SocketDirectory.LauncherSocket(options.SocketDir);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Libc.Unlink(SocketPath); // a stale socket of an earlier agent
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        Hosting.SocketPermissions.SecureSocket(SocketPath, options); // 0660, root and --socket-group
        _listener.Listen(128);
        logger.LogInformation("Launcher endpoint listening on {Path}", SocketPath);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener!.AcceptAsync(stoppingToken);
            }
            catch (OperationCanceledException) { break; }
            catch (SocketException e)
            {
                logger.LogWarning("Accept on {Path} failed: {Error}", SocketPath, e.Message);
                continue;
            }
            if (!FdPassing.TryGetPeerCredentials((int)peer.Handle, out var cred))
            {
                logger.LogWarning("Launcher connection on {Path} closed: cannot read its credentials", SocketPath);
                peer.Dispose();
                continue;
            }
            _ = WelcomeAsync(peer, cred, stoppingToken);
        }
    }

    /// <summary>Waits (threadless, bounded, timed) for the RUN frame, then hands the launcher to a thread of its own.</summary>
    private async Task WelcomeAsync(Socket peer, Libc.UCred cred, CancellationToken stopping)
    {
        (FrameType Type, byte[] Payload) first;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            var seat = _waiting.Enter(cred.Uid, wait, out var pushedOut);
            if (pushedOut is not null) CancelQuietly(pushedOut);
            wait.CancelAfter(options.HandshakeTimeout);
            try
            {
                first = await FirstFrameReader.ReadAsync(peer, wait.Token);
                _waiting.Leave(seat);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or LauncherProtocolException or ObjectDisposedException)
            {
                var evicted = !_waiting.Leave(seat);
                if (e is LauncherProtocolException protocol)
                {
                    logger.LogWarning("Launcher (pid {Pid}) rejected: {Reason}", cred.Pid, protocol.Message);
                    TrySendError(new LauncherConnection(peer), 1, protocol.Message);
                }
                else if (!stopping.IsCancellationRequested && e is OperationCanceledException)
                {
                    _refusals.Record(evicted ? AdmissionRefusal.Evicted : AdmissionRefusal.Timeout, $"uid {cred.Uid}", evicted
                        ? $"no RUN frame yet and newer connections need the room (at most {_waiting.PerPeer} waiting per uid, {_waiting.Total} in all)"
                        : $"no complete RUN frame within {options.HandshakeTimeout.TotalSeconds:0.###} s", $"pid {cred.Pid}");
                    TrySendError(new LauncherConnection(peer), 1, evicted
                        ? "closed before a RUN frame came: newer connections needed the room"
                        : "timed out waiting for the launcher");
                }
                peer.Dispose();
                return;
            }
        }
        if (_handshakes.TryTake(cred.Uid) is { } refusal)
        {
            var why = refusal == AdmissionRefusal.PeerLimit
                ? $"uid {cred.Uid} already has {_handshakes.PerPeer} launchers in their handshake"
                : $"{_handshakes.Total} launchers are already in their handshake";
            _refusals.Record(refusal, $"uid {cred.Uid}", why, $"pid {cred.Pid}");
            TrySendError(new LauncherConnection(peer), 1, $"the agent is busy: {why}; try again");
            peer.Dispose();
            return;
        }
        // The rest of the handshake runs on its own thread with blocking calls: it is short and fd passing is easier.
        _ = Task.Factory.StartNew(() =>
        {
            try { Serve(peer, cred, first); }
            finally { _handshakes.Release(cred.Uid); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static void CancelQuietly(CancellationTokenSource wait)
    {
        try { wait.Cancel(); }
        catch (ObjectDisposedException) { } // it spoke (or closed) just now
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        Libc.Unlink(SocketPath);
        await base.StopAsync(cancellationToken);
    }

    private void Serve(Socket peer, Libc.UCred cred, (FrameType Type, byte[] Payload) first)
    {
        using var _ = peer;
        peer.Blocking = true;
        peer.SendTimeout = (int)options.HandshakeTimeout.TotalMilliseconds;
        var connection = new LauncherConnection(peer, options.HandshakeTimeout);
        var pid = cred.Pid;
        try
        {
            Handshake(connection, cred, (int)peer.Handle, first);
        }
        catch (LauncherProtocolException e)
        {
            logger.LogWarning("Launcher (pid {Pid}) rejected: {Reason}", pid, e.Message);
            TrySendError(connection, 1, e.Message);
        }
        catch (SocketException e)
        {
            logger.LogWarning("Launcher (pid {Pid}) connection failed: {Reason}", pid, e.Message);
        }
        finally
        {
            foreach (var fd in connection.ReceivedFds) Libc.Close(fd); // anything not handed to the supervisor
        }
    }

    private void Handshake(LauncherConnection connection, Libc.UCred cred, int socketFd, (FrameType Type, byte[] Payload) first)
    {
        var (type, payload) = first;
        if (type != FrameType.Run) throw new LauncherProtocolException($"expected a RUN frame, got type {(byte)type}");
        var request = RunRequest.Decode(payload);

        RunPlan plan;
        try
        {
            plan = RunPlanParser.Parse(request.Args, request.Environment);
        }
        catch (HelpRequestedException help)
        {
            connection.WriteError(0, help.Message);
            return;
        }
        catch (UsageException usage)
        {
            connection.WriteError(2, usage.Message);
            return;
        }
        if (plan.NewNetns && cred.Uid != 0)
        {
            connection.WriteError(1, "a new network namespace needs root; run as root or use --new-netns=false");
            return;
        }
        var pod = _pods?.Verify(socketFd, cred.Pid, cred.Uid, plan.KubernetesPod) ?? new PodVerdict(plan.KubernetesPod, null, null);
        if (pod.Refusal is { } refusal)
        {
            logger.LogWarning("Launcher (pid {Pid}, uid {Uid}) refused: {Reason}", cred.Pid, cred.Uid, refusal);
            connection.WriteError(1, refusal);
            return;
        }

        var appId = NewAppId();
        var virtualIp = plan.Ip;
        if (virtualIp is null && plan.Name.Length > 0)
        {
            // A named app gets an address its name can resolve to; the pool skips what any node uses.
            virtualIp = ReserveAddress(appId);
            if (virtualIp is null)
            {
                connection.WriteError(1, $"no free virtual IP left in the pool {options.IpPool} (give one with --ip)");
                return;
            }
        }
        try
        {
            var dnsSockets = options.Dns && plan.NewNetns;
            var writer = new PayloadWriter();
            writer.UInt32((uint)plan.CommandIndex);
            writer.Bool(plan.NewNetns);
            writer.String(plan.User);
            writer.String(plan.Interface);
            writer.String(appId);
            writer.Bool(dnsSockets);
            writer.String(dnsSockets && plan.DnsOverride ? DnsSettings.AppResolvConf(options.DnsDomain) : "");
            // Only when asked for: a launcher that predates the field refuses the PLAN rather than run the app without the trap.
            if (plan.TrapSendmsg) writer.Bool(true);
            connection.WriteFrame(FrameType.Plan, writer.ToArray());

            (type, payload) = connection.ReadFrame();
            if (type != FrameType.Listener) throw new LauncherProtocolException($"expected a LISTENER frame, got type {(byte)type}");
            var (reclaimFd, dnsFdCount, dnsReclaimFds, keeperPid, hasKeeperField) = ListenerPayload.Decode(payload);
            if (dnsFdCount is not (0 or 2) || (dnsFdCount == 2 && !dnsSockets))
                throw new LauncherProtocolException($"the LISTENER frame announces {dnsFdCount} DNS sockets (expected {(dnsSockets ? "2" : "none")})");
            if (connection.ReceivedFds.Count != 1 + dnsFdCount || !FdPassing.IsSeccompListener(connection.ReceivedFds[0]))
                throw new LauncherProtocolException("the LISTENER frame must carry exactly one seccomp listener fd" +
                    (dnsFdCount > 0 ? $" and the {dnsFdCount} DNS sockets it announces" : ""));
            if (dnsFdCount == 2 && !(IsSocket(connection.ReceivedFds[1], SOCK.DGRAM) && IsSocket(connection.ReceivedFds[2], SOCK.STREAM)))
                throw new LauncherProtocolException("the DNS sockets of a LISTENER frame must be a UDP and a TCP socket, in that order");
            var listener = connection.ReceivedFds[0];
            var keeper = CheckKeeper(appId, keeperPid, hasKeeperField, reclaimFd, listener);

            var app = new AppEntry
            {
                Id = appId, Name = plan.Name, VirtualIp = virtualIp, Labels = plan.Labels, Protocol = plan.Protocol, Pid = cred.Pid,
                Command = request.Args.Skip(plan.CommandIndex).ToArray(), ReclaimFd = reclaimFd, Expose = plan.Expose,
                DnsReclaimFds = dnsReclaimFds, KeeperPid = keeper.Pid, KeeperStarted = keeper.Started, KubernetesPod = pod.PodName, KubernetesPodUid = pod.PodUid,
            };
            table.AddApp(app);
            supervisor.Attach(app, listener);
            if (dnsFdCount == 2) dns.Serve(appId, connection.ReceivedFds[1], connection.ReceivedFds[2]);
            connection.ReceivedFds.Clear(); // the supervisor owns the listener now, the DNS server the DNS sockets
            connection.WriteFrame(FrameType.Ready, []);
        }
        finally
        {
            // Once the app is in the table (or never will be), the table speaks for its address.
            if (plan.Ip is null && virtualIp is not null) lock (_reserved) _reserved.Remove(virtualIp);
        }
    }

    /// <summary>
    /// The keeper the launcher named, trusted only if that process holds this app's listener at the reclaim fd (a
    /// forged pid would otherwise make a restarted agent take another app's listener); (0, 0) when there is none.
    /// Its start time guards a restarted agent against the pid's reuse.
    /// </summary>
    private (int Pid, ulong Started) CheckKeeper(string appId, int keeperPid, bool hasKeeperField, int reclaimFd, int listener)
    {
        if (!hasKeeperField)
        {
            logger.LogInformation("App {AppId}: the launcher names no keeper (an ax older than the agent); if the app closes its inherited fds it is lost after an agent restart", appId);
            return (0, 0);
        }
        if (keeperPid == 0)
        {
            logger.LogWarning("App {AppId}: the launcher could not start its keeper; if the app closes its inherited fds it is lost after an agent restart", appId);
            return (0, 0);
        }
        var started = ProcessIdentity.StartTime(keeperPid);
        if (started is null || !ProcessIdentity.HoldsSameFile(keeperPid, reclaimFd, listener) || ProcessIdentity.StartTime(keeperPid) != started)
        {
            logger.LogWarning("App {AppId}: pid {KeeperPid}, named as its keeper, does not hold its listener at fd {ReclaimFd}; ignored", appId, keeperPid, reclaimFd);
            return (0, 0);
        }
        return (keeperPid, started.Value);
    }

    private static bool IsSocket(int fd, int type) =>
        SocketCalls.TryGetKind(fd, out var kind) && kind.Type == type && kind.Domain == AF.INET;

    /// <summary>
    /// A pool address for a named app without --ip that neither the table nor a launcher still in its handshake
    /// (two `ax run` at once) has; null when the pool is full.
    /// </summary>
    private IPAddress? ReserveAddress(string appId)
    {
        lock (_reserved)
        {
            var address = options.IpPool.Assign(options.NodeName, appId, a => _reserved.Contains(a) || table.IsAddressInUse(a));
            if (address is not null) _reserved.Add(address);
            return address;
        }
    }

    /// <summary>
    /// A fresh app id: a name, not a secret (the API's callers are authorized, not the ids). Guid.NewGuid's bytes come
    /// from the kernel's getrandom like RandomNumberGenerator's, without mapping libcrypto (~4 MiB) at the first app.
    /// </summary>
    private string NewAppId()
    {
        Span<byte> bytes = stackalloc byte[16];
        while (true)
        {
            Guid.NewGuid().TryWriteBytes(bytes);
            var id = Convert.ToHexString(bytes[..4]).ToLowerInvariant();
            if (table.FindApp(id) is null) return id;
        }
    }

    private static void TrySendError(LauncherConnection connection, int exitCode, string message)
    {
        try { connection.WriteError(exitCode, message); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }
}
