using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// getsockname/getpeername: node sockets answer with the virtual addresses the application expects, in the
/// family of its socket. Sockets of the app's own namespace are left to the kernel.
/// </summary>
internal sealed class SocketNameHandler(ServiceTable table)
{
    public void Handle(SyscallContext call, bool peer)
    {
        var fd = call.FdArg(0);
        if (!call.TryBorrowFd(fd, out var original)) return;
        if (!SocketCalls.TryGetKind(original, out var kind) || kind.Domain is not (AF.INET or AF.INET6))
        {
            call.Continue();
            return;
        }
        var answer = peer ? VirtualPeer(original) : VirtualLocal(call.Session, original);
        if (answer is null) { call.Continue(); return; }

        Span<byte> lengthBytes = stackalloc byte[4];
        var read = call.ReadMemory(call.Arg(2), lengthBytes);
        if (read.IsError) { call.Fail(read.Error == Errno.ESRCH ? Errno.EFAULT : read.Error); return; }
        var capacity = BitConverter.ToInt32(lengthBytes);
        if (capacity < 0) { call.Fail(Errno.EINVAL); return; }

        Span<byte> encoded = stackalloc byte[SockAddr.MaxSize];
        var size = SockAddr.Encode(answer, kind.Domain, encoded);
        if (call.WriteMemory(call.Arg(1), encoded[..Math.Min(size, capacity)]).IsError
            || call.WriteMemory(call.Arg(2), BitConverter.GetBytes(size)).IsError)
        {
            call.Fail(Errno.EFAULT);
            return;
        }
        call.Succeed();
    }

    private IPEndPoint? VirtualLocal(AppSession session, int socketFd)
    {
        if (table.FindSocket(SocketCalls.Inode(socketFd)) is { } bound) return bound.VirtualLocal;
        var local = SocketCalls.LocalEndPoint(socketFd);
        if (local is null || !IpAddresses.Normalize(local.Address).Equals(table.Node.Address)) return null;
        // An accepted connection of one of our servers, or a client socket the agent connected.
        if (table.ServerAtNode(local.Address, local.Port) is { } server) return server.Virtual;
        return new IPEndPoint(session.App.VirtualIp ?? table.Node.Address, local.Port);
    }

    private IPEndPoint? VirtualPeer(int socketFd)
    {
        var remote = SocketCalls.RemoteEndPoint(socketFd);
        if (remote is null) return null; // not connected: the kernel gives ENOTCONN
        return table.Peers.Find(SocketCalls.Inode(socketFd)) ?? table.ServerAtNode(remote.Address, remote.Port)?.Virtual;
    }
}
