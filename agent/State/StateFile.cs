using System.Net;
using System.Text.Json;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.State;

/// <summary>
/// Reads and writes &lt;admin-dir&gt;/state.json, the whole state at once (atomically: temporary file, then rename).
/// Written by <see cref="StateWriter"/> off the changing threads; the changes since are in <see cref="StateWriteAheadLog"/>.
/// </summary>
public sealed class StateFile(string socketDir)
{
    private readonly Lock _writeLock = new();

    public string Path { get; } = System.IO.Path.Combine(socketDir, "state.json");

    public void Save(ServiceTable table, Rules.RuleBook rules)
    {
        var state = Snapshot(table, rules);
        lock (_writeLock)
        {
            var temporary = Path + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                // Into the file as it is made: a byte[] of the whole state grew pooled buffers to its size (1 MiB
                // ones at 2 000 vservices) that ArrayPool.Shared then kept, per thread and core.
                JsonSerializer.Serialize(stream, state, SavedStateJsonContext.Default.SavedState);
                stream.Flush(flushToDisk: false); // surviving an agent crash needs the page cache, not the disk
            }
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, Path, overwrite: true);
        }
    }

    /// <summary>The saved state, or null when there is none; throws InvalidDataException when it is unreadable.</summary>
    public SavedState? Load()
    {
        if (!File.Exists(Path)) return null;
        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllBytes(Path), SavedStateJsonContext.Default.SavedState);
            if (state is null || state.Version != SavedState.CurrentVersion)
                throw new InvalidDataException($"{Path} has version {state?.Version}, expected {SavedState.CurrentVersion}");
            return state;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path} is not valid: {e.Message}", e);
        }
    }

    public void Delete() => File.Delete(Path);

    private static SavedState Snapshot(ServiceTable table, Rules.RuleBook rules) => new()
    {
        Apps = table.Apps().Select(ToSaved).ToList(),
        Sockets = table.Sockets().Select(ToSaved).ToList(),
        VServices = table.VServices().Select(v => v.ToSpec()).ToList(),
        Rules = rules.Own().ToList(),
    };

    public static SavedApp ToSaved(AppEntry a) => new()
    {
        Id = a.Id, Name = a.Name, Ip = a.VirtualIp?.ToString(), Labels = new(a.Labels), Pid = a.Pid, Protocol = a.Protocol,
        KnownPids = KnownPidsOf(a), ReclaimFd = a.ReclaimFd,
        KeeperPid = a.KeeperPid > 0 ? a.KeeperPid : null, KeeperStarted = a.KeeperPid > 0 ? a.KeeperStarted : null, DnsReclaimFds = a.DnsReclaimFds.Udp < 0 ? null : [a.DnsReclaimFds.Udp, a.DnsReclaimFds.Tcp], Command = a.Command.ToList(), Started = a.Started,
        Expose = a.Expose.Select(m => m.ToString()).ToList(), KubernetesPod = a.KubernetesPod,
        KubernetesPodUid = a.KubernetesPodUid,
    };

    public static SavedSocket ToSaved(SocketEntry s) => new()
    {
        AppId = s.App.Id, Inode = s.Inode, Transport = s.Transport.ToString(),
        Ipv6 = s.Family == System.Net.Sockets.AddressFamily.InterNetworkV6,
        VirtualLocal = s.VirtualLocal.ToString(), Service = s.Service.ToString(), NodeLocal = s.NodeLocal.ToString(),
        State = s.State.ToString(), Backlog = s.Backlog,
    };

    private static List<int> KnownPidsOf(AppEntry app)
    {
        lock (app.KnownPids) return app.KnownPids.ToList();
    }

    /// <summary>Rebuilds a socket entry for a restored app.</summary>
    public static SocketEntry ToEntry(SavedSocket saved, AppEntry app) => new()
    {
        App = app, Inode = saved.Inode, Transport = Enum.Parse<Transport>(saved.Transport),
        Family = saved.Ipv6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork,
        VirtualLocal = IPEndPoint.Parse(saved.VirtualLocal), Service = IPEndPoint.Parse(saved.Service),
        NodeLocal = IPEndPoint.Parse(saved.NodeLocal), State = Enum.Parse<SocketState>(saved.State), Backlog = saved.Backlog,
    };

    public static AppEntry ToEntry(SavedApp saved)
    {
        var app = new AppEntry
        {
            Id = saved.Id, Name = saved.Name, VirtualIp = saved.Ip is null ? null : IPAddress.Parse(saved.Ip),
            Labels = saved.Labels, Pid = saved.Pid, ReclaimFd = saved.ReclaimFd,
            KeeperPid = saved.KeeperPid ?? 0, KeeperStarted = saved.KeeperStarted ?? 0,
            Protocol = Launcher.AppProtocol.IsKnown(saved.Protocol) ? saved.Protocol!.ToLowerInvariant() : Launcher.AppProtocol.Default,
            DnsReclaimFds = saved.DnsReclaimFds is [var udp, var tcp] ? (udp, tcp) : (-1, -1), Command = saved.Command, Started = saved.Started,
            Expose = saved.Expose.Count > 0 && Launcher.ExposeMapping.TryParseList(string.Join(',', saved.Expose), out var expose, out _) ? expose : [],
            KubernetesPod = string.IsNullOrEmpty(saved.KubernetesPod) ? null : saved.KubernetesPod,
            KubernetesPodUid = string.IsNullOrEmpty(saved.KubernetesPodUid) ? null : saved.KubernetesPodUid,
        };
        foreach (var pid in saved.KnownPids) app.KnownPids.Add(pid);
        return app;
    }
}
