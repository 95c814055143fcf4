using System.Net;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// One relayed connection copied with splice(2): each direction moves socket → its own pipe → the other socket, so
/// the bytes never enter user space. Driven by <see cref="SpliceEngine"/>'s edge-triggered epoll: on every event
/// both directions run until neither moves. Half-close: end of stream on one side becomes shutdown(SHUT_WR) on the
/// other once its pipe is drained; the other direction keeps flowing.
/// </summary>
internal sealed unsafe class SpliceConnection(int client, int target, IPEndPoint targetEndPoint, RelayCounters counters)
{
    /// <summary>Bytes a pipe holds (the kernel's default pipe size).</summary>
    public const int PipeBytes = 64 * 1024;

    private sealed class Direction(int from, int to, bool toTarget)
    {
        public readonly int From = from, To = to;
        public readonly bool ToTarget = toTarget;
        public int PipeRead = -1, PipeWrite = -1;
        public int InPipe;
        public bool SourceEnded, Shut;
    }

    private readonly Direction _up = new(client, target, toTarget: true);
    private readonly Direction _down = new(target, client, toTarget: false);
    private Direction[] Both => field ??= [_up, _down];

    public int Client => client;
    public int Target => target;
    public IPEndPoint TargetEndPoint => targetEndPoint;
    public RelayCounters Counters => counters;
    /// <summary>True until the non-blocking connect to the target completed.</summary>
    public bool Connecting { get; set; } = true;
    public bool Finished => _up.Shut && _down.Shut && _up.InPipe == 0 && _down.InPipe == 0;

    /// <summary>Makes the two pipes; the errno on failure (too many open files).</summary>
    public int OpenPipes()
    {
        var fds = stackalloc int[2];
        foreach (var d in Both)
        {
            if (Libc.Pipe2(fds, Libc.O_NONBLOCK | Libc.O_CLOEXEC) != 0) return Libc.Errno;
            (d.PipeRead, d.PipeWrite) = (fds[0], fds[1]);
        }
        return 0;
    }

    /// <summary>Moves what can move now; the errno of a failed splice (the connection is then reset), else 0.</summary>
    public int Pump()
    {
        bool moved;
        do
        {
            moved = false;
            foreach (var d in Both)
            {
                var errno = Step(d, ref moved);
                if (errno != 0) return errno;
            }
        } while (moved);
        return 0;
    }

    private int Step(Direction d, ref bool moved)
    {
        if (!d.SourceEnded && d.InPipe < PipeBytes)
        {
            var n = Libc.Splice(d.From, null, d.PipeWrite, null, (nuint)(PipeBytes - d.InPipe), Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK);
            if (n > 0) { d.InPipe += (int)n; moved = true; }
            else if (n == 0) { d.SourceEnded = true; moved = true; }
            else if (Libc.Errno != Libc.EAGAIN) return Libc.Errno;
        }
        if (d.InPipe > 0)
        {
            var n = Libc.Splice(d.PipeRead, null, d.To, null, (nuint)d.InPipe, Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK);
            if (n > 0) { d.InPipe -= (int)n; counters.Copied(d.ToTarget, (int)n); moved = true; }
            else if (n < 0 && Libc.Errno != Libc.EAGAIN) return Libc.Errno;
        }
        if (d.SourceEnded && d.InPipe == 0 && !d.Shut)
        {
            d.Shut = true;
            Libc.Shutdown(d.To, Libc.SHUT_WR); // the FIN passed on; fails harmlessly if the peer already reset
        }
        return 0;
    }

    /// <summary>Closes everything; <paramref name="reset"/> makes both sockets send RST (an error on one side).</summary>
    public void Close(bool reset)
    {
        Span<byte> lingerZero = stackalloc byte[8] { 1, 0, 0, 0, 0, 0, 0, 0 }; // on, 0 s: close sends RST
        foreach (var fd in new[] { client, target })
        {
            if (reset) SocketCalls.SetRaw(fd, Libc.SOL_SOCKET, Libc.SO_LINGER, lingerZero);
            Libc.Close(fd);
        }
        foreach (var d in Both)
        {
            if (d.PipeRead >= 0) Libc.Close(d.PipeRead);
            if (d.PipeWrite >= 0) Libc.Close(d.PipeWrite);
        }
    }
}
