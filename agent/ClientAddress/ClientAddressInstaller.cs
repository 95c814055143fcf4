using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// Puts the client-address programs (<see cref="ClientAddressPrograms"/>) on the agent's cgroup: sock_ops and
/// getpeername4/6, the UDP marker's egress guard (<see cref="DatagramSenderGuard"/>) and sock_release cleanup
/// (<see cref="SocketRelease"/>), and with the socket lock's translations map the marker's ingress program
/// (<see cref="DatagramMark"/>). Runs before the agent makes any socket (node sockets carry the cgroup they were made in). Attached
/// without a link like the socket lock's: they stay while the agent restarts and the next agent's replace them in
/// place. Off (--preserve-client-ip=false), the agent detaches whatever an earlier agent left there.
/// </summary>
internal static class ClientAddressInstaller
{
    private static readonly int[] AttachTypes =
        [ClientAddressPrograms.AttachSockOps, ClientAddressPrograms.AttachInet4GetPeerName, ClientAddressPrograms.AttachInet6GetPeerName,
            DatagramMark.AttachInetIngress, DatagramMark.AttachInetEgress, SocketRelease.AttachInetSockRelease];

    /// <summary>The maps (the agent writes marks and trusted nodes in them), or null with the reason in <paramref name="detail"/>.</summary>
    /// <param name="translations">The socket lock's map, where UDP clients of other nodes are recorded; null: TCP only.</param>
    /// <param name="stateDir">The admin directory: where the sender VIPs map is recorded for the next agent.</param>
    public static ClientAddressMaps? Engage(string cgroupName, string stateDir, DatagramTranslations? translations, out string detail)
    {
        try
        {
            using var cgroup = AgentCgroup.Enter(cgroupName);
            var maps = ClientAddressMaps.Create(stateDir);
            try
            {
                Attach(cgroup, maps, translations);
                detail = $"cgroup {cgroup.Path}{(translations is null ? ", TCP only (no socket lock)" : "")}";
                return maps;
            }
            catch
            {
                maps.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is ClientAddressUnavailableException or SocketLockUnavailableException)
        {
            detail = e.Message;
            return null;
        }
    }

    /// <summary>Takes an earlier agent's programs off the cgroup: servers see node addresses again.</summary>
    public static void Disengage(string cgroupName)
    {
        try
        {
            using var cgroup = AgentCgroup.Enter(cgroupName);
            foreach (var type in AttachTypes) Bpf.DetachFromCgroup(cgroup.Fd, type); // ENOENT: none there
        }
        catch (SocketLockUnavailableException) { } // no cgroup of ours: nothing attached either
    }

    private static void Attach(AgentCgroup cgroup, ClientAddressMaps maps, DatagramTranslations? translations)
    {
        var programs = new List<(int Fd, int AttachType)>();
        try
        {
            // Load all, then attach all: a program the verifier refuses leaves the previous ones untouched.
            programs.Add((Load(ClientAddressPrograms.ProgTypeSockOps, ClientAddressPrograms.AttachSockOps,
                ClientAddressPrograms.SockOps(maps.ClientsFd, maps.PeersFd, maps.NodesFd), "ax_cip_sockops"), ClientAddressPrograms.AttachSockOps));
            programs.Add((Load(Bpf.ProgTypeCgroupSockAddr, ClientAddressPrograms.AttachInet4GetPeerName,
                ClientAddressPrograms.GetPeerName(false, maps.PeersFd), "ax_cip_peer4"), ClientAddressPrograms.AttachInet4GetPeerName));
            programs.Add((Load(Bpf.ProgTypeCgroupSockAddr, ClientAddressPrograms.AttachInet6GetPeerName,
                ClientAddressPrograms.GetPeerName(true, maps.PeersFd), "ax_cip_peer6"), ClientAddressPrograms.AttachInet6GetPeerName));
            programs.Add((Load(DatagramMark.ProgTypeCgroupSkb, DatagramMark.AttachInetEgress,
                DatagramSenderGuard.Egress(maps.SenderVipsFd), "ax_cip_udp_out"), DatagramMark.AttachInetEgress));
            programs.Add((Load(SocketRelease.ProgTypeCgroupSock, SocketRelease.AttachInetSockRelease,
                SocketRelease.Program(maps.SenderVipsFd, maps.ClientsFd), "ax_cip_release"), SocketRelease.AttachInetSockRelease));
            if (translations is not null)
                programs.Add((Load(DatagramMark.ProgTypeCgroupSkb, DatagramMark.AttachInetIngress,
                    DatagramMark.Ingress(maps.NodesFd, translations.MapFd), "ax_cip_udp_in"), DatagramMark.AttachInetIngress));
            else Bpf.DetachFromCgroup(cgroup.Fd, DatagramMark.AttachInetIngress); // an earlier agent's, on a map no longer written
            foreach (var (fd, attachType) in programs)
            {
                var r = Bpf.AttachToCgroup(cgroup.Fd, fd, attachType);
                if (r.IsError) throw new ClientAddressUnavailableException($"cannot attach BPF program (attach type {attachType}) to the cgroup {cgroup.Path}: {r.Error}");
            }
        }
        finally
        {
            foreach (var (fd, _) in programs) Libc.Close(fd); // the cgroup holds the programs, they hold the maps
        }
    }

    private static int Load(int progType, int attachType, byte[] program, string name)
    {
        var loaded = Bpf.LoadProgram(progType, attachType, program, name, out var log);
        if (loaded.IsError)
            throw new ClientAddressUnavailableException(
                $"the kernel refused BPF program {name}: {loaded.Error}{(log.Length > 0 ? $"; verifier: {log.ReplaceLineEndings(" | ")}" : "")}");
        return loaded.Fd;
    }
}
