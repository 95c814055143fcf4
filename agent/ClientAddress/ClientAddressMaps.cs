using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// The three maps of the client-address programs (see <see cref="ClientAddressPrograms"/>): clients (LRU, the agent
/// writes a mark per connect, the program deletes it when established), peers (LRU, one entry per accepted connection
/// from an AppSwitch client; replaced or dropped by the next SYN of the same 4-tuple) and nodes (the trusted node
/// addresses). Each agent makes its own: what an earlier agent recorded is lost for connections it accepted.
/// </summary>
internal sealed class ClientAddressMaps : IDisposable
{
    private const int ClientsCapacity = 65536, PeersCapacity = 65536, NodesCapacity = 4096;

    public int ClientsFd { get; }
    public int PeersFd { get; }
    public int NodesFd { get; }

    private ClientAddressMaps(int clients, int peers, int nodes) => (ClientsFd, PeersFd, NodesFd) = (clients, peers, nodes);

    public static ClientAddressMaps Create()
    {
        var made = new List<int>();
        try
        {
            made.Add(Make(Bpf.MapTypeLruHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, ClientsCapacity, "ax_cip_clients"));
            made.Add(Make(Bpf.MapTypeLruHash, ClientAddressPrograms.PeerKeySize, ClientAddressPrograms.VipSize, PeersCapacity, "ax_cip_peers"));
            made.Add(Make(Bpf.MapTypeHash, ClientAddressPrograms.NodeKeySize, ClientAddressPrograms.NodeValueSize, NodesCapacity, "ax_cip_nodes"));
            return new ClientAddressMaps(made[0], made[1], made[2]);
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
    }

    private static int Make(int type, int keySize, int valueSize, int capacity, string name)
    {
        var created = Bpf.CreateMap(type, keySize, valueSize, capacity, name);
        if (created.IsError) throw new ClientAddressUnavailableException($"cannot create the BPF map {name}: {created.Error}");
        return created.Fd;
    }
}
