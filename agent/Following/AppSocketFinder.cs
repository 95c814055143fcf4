using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Following;

/// <summary>
/// Finds an app's socket again from outside the app (the agent keeps no fd of the sockets it installed): a duplicate
/// through pidfd_getfd, at the fd number the connecting thread used, else at any fd of the app's known processes that
/// names the socket's inode. The duplicate shares the app's open file: connecting it moves the app's socket.
/// </summary>
internal static class AppSocketFinder
{
    /// <summary>Our duplicate of the app's socket, or null when no process of the app holds it any more.</summary>
    public static OwnedFd? Find(PeerConnection connection)
    {
        var target = connection.Target;
        if (At(target.Tid, target.Fd, connection.Inode) is { } socket) return socket;
        var link = $"socket:[{connection.Inode}]";
        foreach (var pid in ProcessesOf(connection.App))
            foreach (var fd in FdsNaming(pid, link))
                if (At(pid, fd, connection.Inode) is { } found) return found;
        return null;
    }

    /// <summary>The fd <paramref name="fd"/> of <paramref name="tid"/> when it is still the socket <paramref name="inode"/>.</summary>
    private static OwnedFd? At(int tid, int fd, ulong inode)
    {
        using var pidfd = OwnedFd.From(ProcessAccess.OpenPidfd(tid), out _);
        if (pidfd is null) return null;
        var duplicate = OwnedFd.From(ProcessAccess.GetFd(pidfd.Fd, fd), out _);
        if (duplicate is null || SocketCalls.Inode(duplicate.Fd) == inode) return duplicate;
        duplicate.Dispose(); // the number was closed and reused for another file
        return null;
    }

    private static List<int> ProcessesOf(AppEntry app)
    {
        var pids = new List<int> { app.Pid };
        try { pids.AddRange(app.KnownPids); }
        catch (InvalidOperationException) { } // a session thread added one meanwhile: the launcher pid is tried anyway
        return pids.Where(p => p > 0).Distinct().ToList();
    }

    private static IEnumerable<int> FdsNaming(int pid, string link)
    {
        string[] entries;
        try { entries = Directory.GetFiles($"/proc/{pid}/fd"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var entry in entries)
        {
            string? target;
            try { target = new FileInfo(entry).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (target == link && int.TryParse(Path.GetFileName(entry), out var fd)) yield return fd;
        }
    }
}
