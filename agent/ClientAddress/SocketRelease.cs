using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;
using static AppSwitch.Agent.SocketLock.BpfEmitter;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// Per-socket entries die with their socket: a cgroup/sock_release program on the agent's cgroup (every node socket,
/// wherever its fd went) deletes the closing socket's cookie from the sender VIPs map (a plain hash map: nothing else
/// would ever remove an entry, and the egress guard needs the entry of every live marked socket) and from the clients
/// map (a connect that never got established left its mark there until LRU eviction). Two hash deletes per node
/// socket closed. The socket lock's translations are keyed by cookie and address, which a program cannot delete by
/// prefix: they stay with the LRU map.
/// </summary>
internal static class SocketRelease
{
    public const int ProgTypeCgroupSock = 9, AttachInetSockRelease = 34;
    private const short CookieAt = -8;

    public static byte[] Program(int senderVipsMapFd, int clientsMapFd)
    {
        var e = new BpfEmitter();
        e.Call(Bpf.HelperSocketCookie); // r1 = the bpf_sock being released
        e.Store(Size.Double, R10, CookieAt, R0);
        foreach (var map in new[] { senderVipsMapFd, clientsMapFd })
        {
            e.LoadMap(R1, map);
            e.MovReg(R2, R10);
            e.AddImm(R2, CookieAt);
            e.Call(Bpf.HelperMapDelete); // -ENOENT for most sockets: nothing recorded
        }
        e.Return(1);
        return e.ToBytes();
    }
}
