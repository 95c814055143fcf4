using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>listen(fd, backlog): on a node socket the agent listens and publishes the server; otherwise the kernel runs it.</summary>
internal sealed class ListenHandler(ServiceTable table, ILogger<ListenHandler> logger)
{
    public void Handle(SyscallContext call)
    {
        var fd = call.FdArg(0);
        var backlog = (int)call.Arg(1);
        if (!call.TryBorrowFd(fd, out var original)) return;
        var socket = table.FindSocket(SocketCalls.Inode(original));
        if (socket is null) { call.Continue(); return; } // loopback or unbound: private to the app's namespace

        if (SocketCalls.Listen(original, backlog) is { IsError: true } failed) { call.Fail(failed.Error); return; }
        socket.State = SocketState.Listening;
        socket.Backlog = backlog;
        table.AddServer(BindHandler.ServerFor(socket));
        logger.LogInformation("App {AppId}: serving {Service}/{Transport} at node {Node}",
            socket.App.Id, socket.Service, socket.Transport, socket.NodeLocal);
        call.Succeed();
    }
}
