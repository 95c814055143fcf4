using System.Net;

namespace AppSwitch.Agent.L7;

/// <summary>One end of a relayed exchange: the app, or the upstream instance at its node address.</summary>
internal readonly record struct RelayPeer(RelaySide Side, IPEndPoint? Instance)
{
    public static readonly RelayPeer Client = new(RelaySide.Client, null);

    public static RelayPeer Upstream(IPEndPoint instance) => new(RelaySide.Upstream, instance);
}
