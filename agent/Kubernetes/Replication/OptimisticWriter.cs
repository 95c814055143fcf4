using System.Net;
using AppSwitch.Agent.Kubernetes.Informers;
using k8s.Autorest;

namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>
/// Writes one object this agent alone owns, with optimistic concurrency: a replace carries the resourceVersion of
/// our last write; 409 (someone else wrote it — kubectl, a previous run of this agent) → read the current version
/// and write ours over it; 404 (deleted under us) → create it anew. The caller retries other failures.
/// </summary>
public sealed class OptimisticWriter(string rbacName, string? @namespace,
    Func<string?, CancellationToken, Task<string?>> create,
    Func<string, CancellationToken, Task<string?>> replace,
    Func<CancellationToken, Task<string?>> readVersion)
{
    private const int MaxAttempts = 5;
    private string? _resourceVersion;
    private long _writes;
    private long _conflicts;

    /// <summary>Requests sent (creates and replaces) and the 409s among them.</summary>
    public long Writes => Interlocked.Read(ref _writes);
    public long Conflicts => Interlocked.Read(ref _conflicts);

    public async Task WriteAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            Interlocked.Increment(ref _writes);
            try
            {
                _resourceVersion = _resourceVersion is null
                    ? await create(null, cancellationToken)
                    : await replace(_resourceVersion, cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict && attempt < MaxAttempts)
            {
                Interlocked.Increment(ref _conflicts);
                _resourceVersion = await ReadVersionAsync(cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound && _resourceVersion is not null && attempt < MaxAttempts)
            {
                _resourceVersion = null;
            }
            catch (HttpOperationException e)
            {
                throw KubeApiException.From(e, _resourceVersion is null ? "create" : "update", rbacName, @namespace);
            }
        }
    }

    private async Task<string?> ReadVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await readVersion(cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw KubeApiException.From(e, "get", rbacName, @namespace);
        }
    }
}
