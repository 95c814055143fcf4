using System.Globalization;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// The maps of the client-address programs (see <see cref="ClientAddressPrograms"/>): clients (LRU, the agent
/// writes a mark per connect, the program deletes it when established), peers (LRU, one entry per accepted connection
/// from an AppSwitch client; replaced or dropped by the next SYN of the same 4-tuple), nodes (the trusted node
/// addresses) and sender VIPs (hash, socket cookie → the VIP the agent put on a UDP node socket; what the egress guard
/// <see cref="DatagramSenderGuard"/> checks; <see cref="SocketRelease"/> deletes an entry when its socket closes).
/// Each agent makes its own, except the sender VIPs: the sockets an earlier agent marked outlive it and keep sending,
/// so a new agent finds that map again by the id recorded in the admin directory (as the socket lock's maps).
/// </summary>
internal sealed class ClientAddressMaps : IDisposable
{
    public const string FileName = "client-address-maps";
    private const int ClientsCapacity = 65536, PeersCapacity = 65536, NodesCapacity = 4096, SenderVipsCapacity = 65536;
    private const string SenderVipsName = "ax_cip_udp_vips";

    public int ClientsFd { get; }
    public int PeersFd { get; }
    public int NodesFd { get; }
    public int SenderVipsFd { get; }

    private ClientAddressMaps(int clients, int peers, int nodes, int senderVips) =>
        (ClientsFd, PeersFd, NodesFd, SenderVipsFd) = (clients, peers, nodes, senderVips);

    /// <param name="stateDir">Where the sender VIPs map's id is recorded for the next agent.</param>
    public static ClientAddressMaps Create(string stateDir)
    {
        var made = new List<int>();
        try
        {
            made.Add(Make(Bpf.MapTypeLruHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, ClientsCapacity, "ax_cip_clients"));
            made.Add(Make(Bpf.MapTypeLruHash, ClientAddressPrograms.PeerKeySize, ClientAddressPrograms.VipSize, PeersCapacity, "ax_cip_peers"));
            made.Add(Make(Bpf.MapTypeHash, ClientAddressPrograms.NodeKeySize, ClientAddressPrograms.NodeValueSize, NodesCapacity, "ax_cip_nodes"));
            var path = Path.Join(stateDir, FileName);
            var senderVips = SocketLockMaps.Find(ReadSenderVipsId(path), SenderVipsName, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize);
            made.Add(senderVips >= 0 ? senderVips
                : Make(Bpf.MapTypeHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, SenderVipsCapacity, SenderVipsName));
            WriteSenderVipsId(path, Bpf.InfoOfMap(made[3])?.Id ?? 0);
            return new ClientAddressMaps(made[0], made[1], made[2], made[3]);
        }
        catch
        {
            foreach (var fd in made) Libc.Close(fd);
            throw;
        }
    }

    public void Dispose()
    {
        Libc.Close(ClientsFd);
        Libc.Close(PeersFd);
        Libc.Close(NodesFd);
        Libc.Close(SenderVipsFd);
    }

    private static int Make(int type, int keySize, int valueSize, int capacity, string name)
    {
        var created = Bpf.CreateMap(type, keySize, valueSize, capacity, name);
        if (created.IsError) throw new ClientAddressUnavailableException($"cannot create the BPF map {name}: {created.Error}");
        return created.Fd;
    }

    private static uint ReadSenderVipsId(string path)
    {
        try
        {
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("sender-vips ", StringComparison.Ordinal));
            return line is not null && uint.TryParse(line["sender-vips ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0;
        }
        catch (IOException) { return 0; } // none yet
    }

    /// <summary>Records the id; a failure only costs the next agent the marks of this one's sockets (their datagrams are dropped).</summary>
    private static void WriteSenderVipsId(string path, uint id)
    {
        try
        {
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, $"sender-vips {id}\n");
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
