using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Native;
using Tmds.Linux;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The one result type of agent/Native and the owned fd, on real sockets.</summary>
public sealed class SysResultTests
{
    [Fact]
    public void A_failed_call_carries_its_errno_and_no_value()
    {
        var fd = SocketCalls.Create(new SocketCalls.Kind(AF.INET, SOCK.STREAM, 0)).Fd;
        try
        {
            // A loopback port nobody listens on: a non-blocking connect is refused, at once or after EINPROGRESS.
            var port = FreeLoopbackPort();
            var connect = SocketCalls.Connect(fd, new IPEndPoint(IPAddress.Loopback, port), AF.INET);
            Assert.True(connect.IsError);
            var outcome = connect.Error == Errno.EINPROGRESS ? WaitForOutcome(fd) : connect;
            Assert.Equal(Errno.ECONNREFUSED, outcome.Error);
            Assert.Throws<InvalidOperationException>(() => outcome.Value);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    [Fact]
    public void Success_has_a_value_and_no_errno()
    {
        SysResult ok = Errno.None; // "0 or errno" code reads as success
        Assert.False(ok.IsError);
        Assert.Equal(0, ok.Value);
        Assert.Equal(7, SysResult.Ok(7).Fd);
        Assert.Throws<ArgumentOutOfRangeException>(() => SysResult.Ok(-1)); // a negative value would be an errno in disguise
    }

    [Fact]
    public void An_owned_fd_is_closed_once_unless_released()
    {
        // The write end of a pipe: the read end sees end-of-file only once the last copy of it is closed.
        Assert.False(FileCalls.CreatePipe(out var readEnd, out var writeEnd).IsError);
        using (var owned = new OwnedFd(writeEnd)) Assert.Equal(writeEnd, owned.Fd);
        Assert.Equal(0, ReadOnce(readEnd).Value);
        Libc.Close(readEnd);

        Assert.False(FileCalls.CreatePipe(out readEnd, out writeEnd).IsError);
        var handedOn = new OwnedFd(writeEnd);
        Assert.Equal(writeEnd, handedOn.Release());
        handedOn.Dispose();
        handedOn.Dispose();
        Assert.Equal(Errno.EAGAIN, ReadOnce(readEnd).Error); // the writer is still open: nothing to read yet
        Assert.Throws<ObjectDisposedException>(() => handedOn.Fd);
        Libc.Close(writeEnd);
        Libc.Close(readEnd);
    }

    private static unsafe SysResult ReadOnce(int fd)
    {
        byte b;
        return SysResult.FromReturn(LibC.read(fd, &b, 1));
    }

    private static unsafe SysResult WaitForOutcome(int fd)
    {
        var poll = new Libc.PollFd { Fd = fd, Events = POLL.OUT };
        Assert.Equal(1, FileCalls.Poll(&poll, 1, 10_000).Value); // anti-hang bound only
        return SocketCalls.PendingError(fd);
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
