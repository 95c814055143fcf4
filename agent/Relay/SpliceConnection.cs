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

    /// <summary>Makes the two pipes (EMFILE: too many open files).</summary>
    public Errno OpenPipes()
    {
        foreach (var d in Both)
        {
            // Not a 256 KiB pipe (F_SETPIPE_SZ): measured no better than the default (NOTES, "Relays").
            var made = FileCalls.CreatePipe(out var readEnd, out var writeEnd);
            if (made.IsError) return made.Error;
            (d.PipeRead, d.PipeWrite) = (readEnd, writeEnd);
        }
        return Errno.None;
    }

    /// <summary>Moves what can move now; the errno of a failed splice (the connection is then reset).</summary>
    public Errno Pump()
    {
        bool moved;
        do
        {
            moved = false;
            foreach (var d in Both)
            {
                var errno = Step(d, ref moved);
                if (errno != Errno.None) return errno;
            }
        } while (moved);
        return Errno.None;
    }

    private Errno Step(Direction d, ref bool moved)
    {
        if (!d.SourceEnded && d.InPipe < PipeBytes)
        {
            var n = SpliceCalls.Move(d.From, d.PipeWrite, PipeBytes - d.InPipe);
            if (n.IsError) { if (n.Error != Errno.EAGAIN) return n.Error; }
            else if (n.Value > 0) { d.InPipe += (int)n.Value; moved = true; }
            else { d.SourceEnded = true; moved = true; }
        }
        if (d.InPipe > 0)
        {
            var n = SpliceCalls.Move(d.PipeRead, d.To, d.InPipe);
            if (n.IsError) { if (n.Error != Errno.EAGAIN) return n.Error; }
            else if (n.Value > 0) { d.InPipe -= (int)n.Value; counters.Copied(d.ToTarget, (int)n.Value); moved = true; }
        }
        if (d.SourceEnded && d.InPipe == 0 && !d.Shut)
        {
            d.Shut = true;
            SpliceCalls.ShutdownWrite(d.To); // the FIN passed on; fails harmlessly if the peer already reset
        }
        return Errno.None;
    }

    /// <summary>Closes everything; <paramref name="reset"/> makes both sockets send RST (an error on one side).</summary>
    public void Close(bool reset)
    {
        Span<byte> lingerZero = stackalloc byte[8] { 1, 0, 0, 0, 0, 0, 0, 0 }; // on, 0 s: close sends RST
        foreach (var fd in new[] { client, target })
        {
            if (reset) SocketCalls.SetRaw(fd, SOL.SOCKET, SO.LINGER, lingerZero);
            Libc.Close(fd);
        }
        foreach (var d in Both)
        {
            if (d.PipeRead >= 0) Libc.Close(d.PipeRead);
            if (d.PipeWrite >= 0) Libc.Close(d.PipeWrite);
        }
    }
}
