using System.Text.Json;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR and its object.</summary>
/// <remarks>The object stays raw until the type is known: an ERROR carries a Status, not a T.</remarks>
public sealed record WatchEventRecord
{
    public string Type { get; init; } = "";
    public JsonElement Object { get; init; }
}
