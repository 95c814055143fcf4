using AppSwitch.Agent.Kubernetes.Config;

namespace AppSwitch.Agent.Kubernetes.Client;

/// <summary>The token to send: fixed, or read from a file again once it changes (projected tokens rotate hourly).</summary>
internal sealed class BearerToken(KubeConnection connection)
{
    private string? _cached;
    private DateTime _cachedWriteTime;

    public string? Current()
    {
        if (connection.Token is { } token) return token;
        if (connection.TokenFile is not { } file) return null;
        var written = File.GetLastWriteTimeUtc(file);
        if (_cached is null || written != _cachedWriteTime)
        {
            try
            {
                _cached = File.ReadAllText(file).Trim();
                _cachedWriteTime = written;
            }
            catch (IOException) when (_cached is not null)
            {
                // Being replaced right now (kubelet swaps a symlink): the previous token is still valid a while.
            }
        }
        return _cached;
    }
}
