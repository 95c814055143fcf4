using System.Buffers;
using System.Net;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// sendto(fd, buf, len, flags, addr, addrlen) with a destination (the filter traps no other): decided by
/// <see cref="AddressedSend"/>; where the kernel cannot apply the decision (no socket lock, a socket the app made
/// itself under --new-netns=false) the agent sends the datagram itself, to the target it chose, with the bytes it copied.
/// </summary>
internal sealed class SendToHandler(AddressedSend sends)
{
    /// <summary>How long a blocking app's send may wait for room in the socket's buffer (the session waits with it).</summary>
    private const int BlockingWaitMs = 1000;

    public void Handle(SyscallContext call)
    {
        var flags = (int)call.Arg(3);
        using var sender = sends.Open(call, call.FdArg(0), flags);
        if (sender is null) return;
        // The address is copied in first (EINVAL, EFAULT), as the kernel does.
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var read = AddressArgument.Read(call, 4, 5, raw);
        var address = read.IsError ? [] : raw[..(int)read.Value];
        var step = sends.Decide(call, sender, read.IsError ? read.Error : Errno.None, address, (long)call.Arg(2), canCopy: true, out var target);
        if (step == AddressedSend.Step.Continue) call.Continue();
        else if (step == AddressedSend.Step.Copy) SendCopy(call, sender, target!);
    }

    /// <summary>Copies the app's datagram and sends it from the sender's socket to <paramref name="target"/>; answers the call.</summary>
    private static void SendCopy(SyscallContext call, AddressedSend.Sender sender, IPEndPoint target)
    {
        var length = (int)call.Arg(2);
        var data = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = call.ReadMemory(call.Arg(1), data.AsSpan(0, length));
            if (read.IsError) { call.Fail(read.Error); return; }
            var sent = Send(sender, data.AsSpan(0, length), target);
            if (sent.IsError) call.Fail(sent.Error); else call.Succeed(sent.Value);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>
    /// Sends without ever blocking the session for long: a full buffer is EAGAIN for a non-blocking socket (or
    /// MSG_DONTWAIT), as the app expects; a blocking one waits a little for room first.
    /// </summary>
    private static SysResult Send(AddressedSend.Sender sender, ReadOnlySpan<byte> data, IPEndPoint target)
    {
        var sent = SocketCalls.SendTo(sender.Socket, data, sender.Flags | MSG.DONTWAIT, target, sender.Kind.Domain);
        if (sent.Error != Errno.EAGAIN || (sender.Flags & MSG.DONTWAIT) != 0 || sender.NonBlocking) return sent;
        return SocketCalls.WaitWritable(sender.Socket, BlockingWaitMs)
            ? SocketCalls.SendTo(sender.Socket, data, sender.Flags | MSG.DONTWAIT, target, sender.Kind.Domain)
            : sent;
    }
}
