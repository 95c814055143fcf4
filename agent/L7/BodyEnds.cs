using System.IO.Pipelines;

namespace AppSwitch.Agent.L7;

/// <summary>The two ends of one body copy and the connection's idle deadline, so that each step knows whom it waits on.</summary>
internal readonly record struct BodyEnds(PipeReader From, RelayPeer Source, Stream To, RelayPeer Destination, IdleDeadline Idle);
