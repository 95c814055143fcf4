using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;
using static AppSwitch.Agent.SocketLock.BpfEmitter;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// Keeps apps from forging the UDP client-VIP marker (<see cref="DatagramMark"/>). An app under ax that keeps
/// CAP_NET_RAW can put the same IPv4 option on its own node socket (setsockopt IP_OPTIONS, or an IP_RETOPTS cmsg per
/// datagram) and claim another app's VIP at servers of other nodes, which trust this node. A cgroup_skb egress program
/// on the agent's cgroup (every node socket) sees each datagram with the option as the ingress side reads it and lets
/// it out only when the VIP in it is the one the agent recorded for that very socket (sender VIPs map: socket cookie →
/// VIP, written by <see cref="DatagramClientMarker"/> before it sets the option); otherwise the datagram is dropped and
/// the sender's send fails with EPERM. A datagram without the option costs the bounds check and one byte load.
/// </summary>
internal static class DatagramSenderGuard
{
    private const short CookieAt = -8;

    /// <summary>The egress program: 1 lets the datagram out, 0 drops it.</summary>
    public static byte[] Egress(int senderVipsMapFd)
    {
        var e = new BpfEmitter();
        e.MovReg(R6, R1);
        DatagramMark.JumpUnlessMarked(e, "pass");
        e.Load(Size.Word, R7, R2, DatagramMark.OptionVipAt); // the claimed VIP (r7 survives the helper calls)

        e.MovReg(R1, R6);
        e.Call(Bpf.HelperSocketCookie);
        e.Store(Size.Double, R10, CookieAt, R0);
        e.LoadMap(R1, senderVipsMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, CookieAt);
        e.Call(Bpf.HelperMapLookup);
        e.JumpIfEqualImm(R0, 0, "drop"); // the agent marked no VIP on this socket: the app put the option there
        e.Load(Size.Word, R3, R0, 0);
        e.JumpIfNotEqual(R3, R7, "drop"); // a VIP other than the one the agent marked
        e.Label("pass");
        e.Return(1);
        e.Label("drop");
        e.Return(0);
        return e.ToBytes();
    }
}
