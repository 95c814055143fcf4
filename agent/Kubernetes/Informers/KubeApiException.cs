using k8s.Autorest;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>
/// The API server said no. The message is meant for the operator: the server's own Status message, and for
/// 401/403 what to fix (credentials, or the ServiceAccount's RBAC for this verb on this resource).
/// </summary>
public sealed class KubeApiException(int statusCode, string message, string? reason = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string? Reason { get; } = reason;

    /// <summary>410 Gone: the resourceVersion we asked for is compacted away; the caller must list again.</summary>
    public bool IsGone => StatusCode == 410;
    public bool IsAuthProblem => StatusCode is 401 or 403;

    /// <summary>KubernetesClient's "the server answered non-2xx": its body is a Status when the API server sent it.</summary>
    public static KubeApiException From(HttpOperationException e, string verb, string rbacName, string? @namespace)
    {
        V1Status? status = null;
        try
        {
            if (!string.IsNullOrEmpty(e.Response?.Content)) status = k8s.KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not a Status body (a proxy's HTML page): the HTTP status alone must do.
        }
        var code = (int)(e.Response?.StatusCode ?? 0);
        return From(code, status?.Message ?? e.Response?.ReasonPhrase, status?.Reason, verb, rbacName, @namespace);
    }

    /// <summary>A watch's ERROR event (KubernetesClient hands it to the watch's onError as a KubernetesException).</summary>
    public static KubeApiException From(V1Status? status, string verb, string rbacName, string? @namespace) =>
        From(status?.Code ?? 500, status?.Message, status?.Reason, verb, rbacName, @namespace);

    public static KubeApiException From(int statusCode, string? statusMessage, string? reason, string verb, string rbacName, string? @namespace)
    {
        var what = $"{verb} {rbacName}" + (@namespace is null ? "" : $" in namespace {@namespace}");
        var said = string.IsNullOrWhiteSpace(statusMessage) ? "" : $": {statusMessage}";
        var text = statusCode switch
        {
            401 => $"Kubernetes API rejected the credentials (401 Unauthorized) to {what}{said}; " +
                   "check --kubernetes-token, the kubeconfig user, or the pod's ServiceAccount token",
            403 => $"Kubernetes API forbids this agent to {what} (403 Forbidden){said}; " +
                   $"the agent's ServiceAccount needs an RBAC rule granting '{verb}' on '{rbacName}' (see the ClusterRole in kube-daemonset.yaml)",
            _ => $"Kubernetes API answered {statusCode} to {what}{said}",
        };
        return new KubeApiException(statusCode, text, reason);
    }
}
