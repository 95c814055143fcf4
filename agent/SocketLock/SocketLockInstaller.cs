using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// The kernel backstop behind seccomp: the agent enters its own cgroup, then cgroup/connect4/6, bind4/6,
/// sendmsg4/6 and recvmsg4/6 programs are attached to it (see <see cref="SocketLockPrograms"/>). Must run before
/// the agent makes any socket. The programs are attached without a link, so they stay while the agent restarts;
/// the next agent's attach (flags 0) replaces them in place.
/// </summary>
public static class SocketLockInstaller
{
    /// <param name="stateDir">Where the maps' ids are recorded for the next agent (the admin directory).</param>
    public static SocketLockState Engage(string cgroupName, string stateDir)
    {
        try
        {
            using var cgroup = AgentCgroup.Enter(cgroupName);
            using var maps = SocketLockMaps.OpenOrCreate(stateDir, cgroup.Id);
            Attach(cgroup, maps);
            return new SocketLockState(true, $"cgroup {cgroup.Path} (id {cgroup.Id}){(maps.Inherited ? ", maps of the previous agent" : "")}",
                new DatagramTranslations(maps.ReleaseTranslations()));
        }
        catch (SocketLockUnavailableException e)
        {
            return new SocketLockState(false, e.Message);
        }
    }

    private static void Attach(AgentCgroup cgroup, SocketLockMaps maps)
    {
        var (agents, map, translations) = (maps.AgentsFd, maps.PeersFd, maps.TranslationsFd);
        var programs = new List<(int Fd, int AttachType)>();
        try
        {
            // Load all, then attach all: a program the verifier refuses leaves the previous lock untouched.
            var ownerOnly = SocketLockPrograms.OwnerOnly(agents);
            programs.Add((Load(ownerOnly, Bpf.AttachInet4Connect, "ax_connect4"), Bpf.AttachInet4Connect));
            programs.Add((Load(ownerOnly, Bpf.AttachInet6Connect, "ax_connect6"), Bpf.AttachInet6Connect));
            programs.Add((Load(ownerOnly, Bpf.AttachInet4Bind, "ax_bind4"), Bpf.AttachInet4Bind));
            programs.Add((Load(ownerOnly, Bpf.AttachInet6Bind, "ax_bind6"), Bpf.AttachInet6Bind));
            programs.Add((Load(SocketLockPrograms.SendGuard(false, agents, map, translations), Bpf.AttachUdp4Sendmsg, "ax_sendmsg4"), Bpf.AttachUdp4Sendmsg));
            programs.Add((Load(SocketLockPrograms.SendGuard(true, agents, map, translations), Bpf.AttachUdp6Sendmsg, "ax_sendmsg6"), Bpf.AttachUdp6Sendmsg));
            programs.Add((Load(SocketLockPrograms.PeerRecorder(false, map, translations), Bpf.AttachUdp4Recvmsg, "ax_recvmsg4"), Bpf.AttachUdp4Recvmsg));
            programs.Add((Load(SocketLockPrograms.PeerRecorder(true, map, translations), Bpf.AttachUdp6Recvmsg, "ax_recvmsg6"), Bpf.AttachUdp6Recvmsg));

            foreach (var (fd, attachType) in programs)
            {
                var r = Bpf.AttachToCgroup(cgroup.Fd, fd, attachType);
                if (r.IsError) throw new SocketLockUnavailableException($"cannot attach BPF program (attach type {attachType}) to the cgroup {cgroup.Path}: {r.Error}");
            }
        }
        finally
        {
            // The cgroup holds the attached programs and they hold the maps: the agent keeps only the translations' fd.
            foreach (var (fd, _) in programs) Libc.Close(fd);
        }
    }

    private static int Load(byte[] program, int attachType, string name)
    {
        var loaded = Bpf.LoadProgram(Bpf.ProgTypeCgroupSockAddr, attachType, program, name, out var log);
        if (loaded.IsError)
            throw new SocketLockUnavailableException(
                $"the kernel refused BPF program {name}: {loaded.Error}{(log.Length > 0 ? $"; verifier: {log.ReplaceLineEndings(" | ")}" : "")}");
        return loaded.Fd;
    }
}
