using System.Net.Http.Headers;
using k8s.Authentication;

namespace AppSwitch.Agent.Kubernetes.Connection;

/// <summary>
/// A token file read again as soon as it changes (projected ServiceAccount tokens rotate hourly). KubernetesClient's
/// own TokenFileAuth re-reads only once a minute, so a rotated-and-revoked token would fail calls meanwhile.
/// </summary>
internal sealed class ServiceAccountToken(string file) : ITokenProvider
{
    private string? _cached;
    private DateTime _cachedWriteTime;

    public string File => file;

    public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AuthenticationHeaderValue("Bearer", Current()));

    private string Current()
    {
        var written = System.IO.File.GetLastWriteTimeUtc(file);
        if (_cached is null || written != _cachedWriteTime)
        {
            try
            {
                _cached = System.IO.File.ReadAllText(file).Trim();
                _cachedWriteTime = written;
            }
            catch (IOException) when (_cached is not null)
            {
                // Being replaced right now (kubelet swaps a symlink): the previous token is still valid a while.
            }
        }
        return _cached!;
    }
}
