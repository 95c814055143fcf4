namespace AppSwitch.Agent.Native;

/// <summary>
/// TCP_REPAIR (linux/tcp.h; CAP_NET_ADMIN in the socket's network namespace, any state but LISTEN) used only to read
/// a connection's receive sequence, rcv_nxt: the one sequence number a reset from its peer must carry to be accepted
/// (RFC 5961; anything else in the window draws a challenge ACK instead). Repair mode is left without the window probe
/// TCP_REPAIR_OFF would send, so the peer sees nothing of this.
/// </summary>
internal static class TcpRepair
{
    private const int Repair = 19, RepairQueue = 20, QueueSeq = 21;
    private const int On = 1, OffNoWindowProbe = -1, NoQueue = 0, ReceiveQueue = 1;

    /// <summary>
    /// The socket's rcv_nxt, or why not (EPERM: no CAP_NET_ADMIN or a listening socket). Repair mode is always left
    /// again: while it is on, the app's own send on the socket would fail (EINVAL) or, with the receive queue
    /// selected, land in its own receive queue — so both last only these four calls.
    /// </summary>
    public static SysResult ReceiveSequence(int fd)
    {
        var on = SocketCalls.SetInt(fd, IPPROTO.TCP, Repair, On);
        if (on.IsError) return on;
        try
        {
            var queue = SocketCalls.SetInt(fd, IPPROTO.TCP, RepairQueue, ReceiveQueue);
            if (queue.IsError) return queue;
            var read = SocketCalls.TryGetInt(fd, IPPROTO.TCP, QueueSeq, out var sequence);
            var lastError = Libc.LastError;
            SocketCalls.SetInt(fd, IPPROTO.TCP, RepairQueue, NoQueue);
            return read ? SysResult.Ok((uint)sequence) : lastError;
        }
        finally
        {
            SocketCalls.SetInt(fd, IPPROTO.TCP, Repair, OffNoWindowProbe);
        }
    }
}
