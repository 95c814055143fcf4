using System.Globalization;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// The socket lock's two maps, shared by every agent generation of a node: the agents map (cgroup ids whose tasks own
/// node sockets) and the peers map (who each UDP socket heard from). A new agent finds its predecessor's maps again by
/// the ids recorded in the admin directory and adds its own cgroup: the predecessor's programs, still attached for the
/// sockets it made, then let the new agent connect and bind those sockets too, even from another parent cgroup, and
/// UDP servers keep the peers they heard from. The maps live while any program using them does. The third map, the UDP
/// translations (<see cref="DatagramTranslations"/>), is found again the same way, so answers to datagrams the previous
/// agent decided still show their virtual source.
/// </summary>
internal sealed class SocketLockMaps : IDisposable
{
    public const string FileName = "socket-lock-maps";
    private const int AgentsCapacity = 1024, PeersCapacity = 65536;
    private const int TranslationsCapacity = 65536;
    private const string AgentsName = "ax_lock_agents", PeersName = "ax_lock_peers", TranslationsName = "ax_udp_xlate";

    public int AgentsFd { get; }
    public int PeersFd { get; }
    /// <summary>The translations map; -1 once <see cref="ReleaseTranslations"/> gave it away.</summary>
    public int TranslationsFd { get; private set; }
    /// <summary>True when the maps were an earlier agent's (found by their recorded ids).</summary>
    public bool Inherited { get; }

    private SocketLockMaps(int agents, int peers, int translations, bool inherited) =>
        (AgentsFd, PeersFd, TranslationsFd, Inherited) = (agents, peers, translations, inherited);

    /// <summary>The translations map's fd, now the caller's (the agent writes it while it runs).</summary>
    public int ReleaseTranslations()
    {
        var fd = TranslationsFd;
        TranslationsFd = -1;
        return fd;
    }

    public void Dispose()
    {
        Libc.Close(AgentsFd);
        Libc.Close(PeersFd);
        if (TranslationsFd >= 0) Libc.Close(TranslationsFd);
    }

    /// <summary>The recorded maps when they still exist and are ours, else new ones; <paramref name="agentCgroupId"/> added.</summary>
    public static SocketLockMaps OpenOrCreate(string stateDir, ulong agentCgroupId)
    {
        var path = Path.Join(stateDir, FileName);
        var recorded = Read(path);
        var agents = Find(recorded.Agents, AgentsName, SocketLockPrograms.AgentKeySize, SocketLockPrograms.AgentValueSize);
        var peers = agents < 0 ? -1 : Find(recorded.Peers, PeersName, SocketLockPrograms.PeerKeySize, SocketLockPrograms.PeerValueSize);
        var inherited = agents >= 0 && peers >= 0;
        if (!inherited)
        {
            if (agents >= 0) Libc.Close(agents);
            agents = Create(Bpf.MapTypeHash, SocketLockPrograms.AgentKeySize, SocketLockPrograms.AgentValueSize, AgentsCapacity, AgentsName);
            peers = Create(Bpf.MapTypeLruHash, SocketLockPrograms.PeerKeySize, SocketLockPrograms.PeerValueSize, PeersCapacity, PeersName);
        }
        // An agent older than the translations left none: a new map (its sockets keep their node-address answers).
        var translations = inherited ? Find(recorded.Translations, TranslationsName, DatagramTranslations.KeySize, DatagramTranslations.ValueSize) : -1;
        if (translations < 0)
            translations = Create(Bpf.MapTypeLruHash, DatagramTranslations.KeySize, DatagramTranslations.ValueSize, TranslationsCapacity, TranslationsName);
        var maps = new SocketLockMaps(agents, peers, translations, inherited);
        try
        {
            var r = Bpf.UpdateElement(agents, BitConverter.GetBytes(agentCgroupId), BitConverter.GetBytes(1));
            if (r.IsError) throw new SocketLockUnavailableException($"cannot add the agent's cgroup to the BPF agents map: {r.Error}");
            Write(path, Bpf.InfoOfMap(agents)?.Id ?? 0, Bpf.InfoOfMap(peers)?.Id ?? 0, Bpf.InfoOfMap(translations)?.Id ?? 0);
            return maps;
        }
        catch
        {
            maps.Dispose();
            throw;
        }
    }

    private static int Create(int type, int keySize, int valueSize, int capacity, string name)
    {
        var created = Bpf.CreateMap(type, keySize, valueSize, capacity, name);
        if (created.IsError) throw new SocketLockUnavailableException($"cannot create the BPF map {name}: {created.Error}");
        return created.Fd;
    }

    /// <summary>An fd of the live map with this id if it is the one we made (name and shape; ids restart at boot).</summary>
    internal static int Find(uint id, string name, int keySize, int valueSize)
    {
        if (id == 0) return -1;
        using var map = OwnedFd.From(Bpf.MapFdById(id), out _);
        if (map is null) return -1;
        if (Bpf.InfoOfMap(map.Fd) is { } info && info.Name == name && info.KeySize == keySize && info.ValueSize == valueSize) return map.Release();
        return -1;
    }

    private static (uint Agents, uint Peers, uint Translations) Read(string path)
    {
        try
        {
            uint agents = 0, peers = 0, translations = 0;
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length != 2 || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)) continue;
                if (parts[0] == "agents") agents = id;
                else if (parts[0] == "peers") peers = id;
                else if (parts[0] == "translations") translations = id;
            }
            return (agents, peers, translations);
        }
        catch (IOException) { return (0, 0, 0); } // none yet (FileNotFoundException and DirectoryNotFoundException are IOExceptions)
    }

    /// <summary>Records the ids; a failure only costs the next agent its inheritance (it makes new maps).</summary>
    private static void Write(string path, uint agents, uint peers, uint translations)
    {
        try
        {
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, $"agents {agents}\npeers {peers}\ntranslations {translations}\n");
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
