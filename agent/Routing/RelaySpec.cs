using System.Net;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>One relay this node should run: listen on <paramref name="Listener"/>, forward along <paramref name="Route"/>.</summary>
public sealed record RelaySpec(Transport Transport, IPEndPoint Listener, RelayRoute Route);
