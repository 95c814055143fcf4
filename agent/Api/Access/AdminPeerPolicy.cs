using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// Who may use api.sock, decided from the peer's credentials rather than from file modes alone (a directory someone
/// opened up again must not open the admin API): root of the agent's user namespace, the agent's own user, and
/// members of the socket group (--socket-group, else the agent's group) — the same people the file modes let in.
/// </summary>
internal sealed class AdminPeerPolicy(int allowedGroup)
{
    private readonly int _agentUid = Libc.GetEUid();

    public int AllowedGroup => allowedGroup;

    public bool Allows(PeerCredentials peer) =>
        peer.Uid == 0 || peer.Uid == _agentUid || peer.Gid == allowedGroup || peer.Groups.Contains(allowedGroup);
}
