using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Admission;
using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Native;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// Kestrel connection middleware on api.sock and the REST port: each peer (a uid on api.sock, a remote address on the
/// REST port) holds at most <see cref="AdmissionLimits.ApiConnectionsPerPeer"/> open connections, everyone together
/// <see cref="AdmissionLimits.ApiConnections"/>; one past that is closed before Kestrel reads a byte (counted and
/// logged). Kestrel's own timeouts (--handshake-timeout) close the half-open ones that got in.
/// </summary>
internal sealed class ApiConnectionLimiter(AgentMetrics metrics, ILogger<ApiConnectionLimiter> logger)
{
    private readonly PeerSlots<string> _slots = new(AdmissionLimits.ApiConnectionsPerPeer, AdmissionLimits.ApiConnections);
    private readonly AdmissionRefusals _refusals = new("api", metrics, logger);

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var peer = PeerOf(connection);
        if (_slots.TryTake(peer) is { } refusal)
        {
            _refusals.Record(refusal, peer, refusal == AdmissionRefusal.PeerLimit
                ? $"it already has {_slots.PerPeer} connections open"
                : $"{_slots.Total} connections are already open");
            return; // Kestrel closes a connection its middleware returns from
        }
        try
        {
            await next(connection);
        }
        finally
        {
            _slots.Release(peer);
        }
    };

    private static string PeerOf(ConnectionContext connection)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is { AddressFamily: AddressFamily.Unix })
            return FdPassing.TryGetPeerCredentials((int)socket.Handle, out var cred) ? $"uid {cred.Uid}" : "an unknown uid";
        return connection.RemoteEndPoint is IPEndPoint remote ? remote.Address.ToString() : "an unknown address";
    }
}
