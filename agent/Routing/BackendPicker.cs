using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Chooses a vservice's backend for one connection: RoundRobin takes them in turn (one counter per vservice on
/// this node, so exact rotation however replicas are refreshed), Random uniformly. The entry holds backends as 4-byte
/// values; the chosen one becomes an address here (one small allocation per connect, beside its endpoint).
/// </summary>
internal sealed class BackendPicker
{
    // Keyed by owner and name rather than by entry: a replica is a new object after every update of its node.
    private readonly ConcurrentDictionary<(string Owner, string Name), StrongBox<long>> _turns = new();

    public IPAddress Pick(VServiceEntry vservice)
    {
        var backends = vservice.Backends;
        if (backends.Length == 1) return backends[0].ToAddress();
        if (vservice.LbType == LbType.Random) return backends[Random.Shared.Next(backends.Length)].ToAddress();
        var turn = _turns.GetOrAdd((vservice.RemoteNode?.Name ?? "", vservice.Name), static _ => new StrongBox<long>(-1));
        var n = Interlocked.Increment(ref turn.Value);
        return backends[(int)(n % backends.Length)].ToAddress();
    }
}
