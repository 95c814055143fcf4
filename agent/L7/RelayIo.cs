using System.Net.Sockets;

namespace AppSwitch.Agent.L7;

/// <summary>
/// Runs one read or write of the relay under the connection's idle deadline and turns what can go wrong into the
/// failure of the side it waited on: no progress within the timeout is that side stalling, an I/O error its close or reset.
/// </summary>
internal static class RelayIo
{
    public static async ValueTask<T> StepAsync<T>(IdleDeadline idle, RelayPeer peer, Func<CancellationToken, ValueTask<T>> step)
    {
        var token = idle.Waiting(peer.Side);
        try
        {
            return await step(token);
        }
        catch (OperationCanceledException e) when (idle.Expired)
        {
            throw new RelayFailureException(RelayFailures.Stalled(peer.Side), $"no progress for {idle.Timeout.TotalSeconds:0.###} s", peer.Instance, e);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new RelayFailureException(RelayFailures.Closed(peer.Side), e.Message, peer.Instance, e);
        }
    }

    public static ValueTask<bool> StepAsync(IdleDeadline idle, RelayPeer peer, Func<CancellationToken, ValueTask> step) =>
        StepAsync(idle, peer, async token =>
        {
            await step(token);
            return true;
        });
}
