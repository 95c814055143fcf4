using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>
/// Where a translated connection really went (the instance's node endpoint) and where the app's socket was when it
/// connected (the calling thread and its fd number), so the agent can find that socket again and move it when the
/// instance leaves (agent/Following).
/// </summary>
public readonly record struct PeerTarget(IPEndPoint Target, Transport Transport, int Tid, int Fd);
