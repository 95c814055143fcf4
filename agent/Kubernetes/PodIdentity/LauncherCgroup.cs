using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Kubernetes.PodIdentity;

/// <summary>The cgroup file (/proc/PID/cgroup) of the launcher at the other end of ax.sock, as the kernel reports it.</summary>
internal static class LauncherCgroup
{
    /// <summary>
    /// Reads /proc/PID/cgroup of the process that connected <paramref name="socketFd"/> (pid from SO_PEERCRED). The
    /// peer's pidfd (SO_PEERPIDFD) still naming that pid after the read proves the file was the peer's: a launcher
    /// that exited and left its pid to a process of another pod would show -1 there. Null with the reason when it
    /// cannot be read.
    /// </summary>
    public static string? Read(int socketFd, int pid, out string? problem)
    {
        var opened = FdPassing.GetPeerPidfd(socketFd);
        // Kernels before 6.5 have no SO_PEERPIDFD: a pidfd opened now is the next best (the launcher is waiting for
        // our answer, so its pid is not free unless it was killed).
        if (opened.Error == Errno.ENOPROTOOPT) opened = ProcessAccess.OpenPidfd(pid);
        using var pidfd = OwnedFd.From(opened, out var error);
        if (pidfd is null)
        {
            problem = $"cannot reach the launcher's process {pid} ({error})";
            return null;
        }
        {
            string text;
            try
            {
                text = File.ReadAllText($"/proc/{pid}/cgroup");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"cannot read /proc/{pid}/cgroup: {e.Message}";
                return null;
            }
            if (ProcessAccess.PidOfPidfd(pidfd.Fd) != pid)
            {
                problem = $"the launcher's process {pid} exited during the check";
                return null;
            }
            problem = null;
            return text;
        }
    }
}
