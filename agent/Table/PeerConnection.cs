using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>One translated connection the agent can follow: the node socket's inode, its app, the virtual address
/// the app dialled and where it goes now.</summary>
public readonly record struct PeerConnection(ulong Inode, AppEntry App, IPEndPoint VirtualPeer, PeerTarget Target);
