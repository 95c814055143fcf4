using System.Text.Json;
using System.Text.Json.Serialization;

namespace AppSwitch.Agent.Kubernetes.Models;

public sealed class AppSwitchNodeSpec
{
    /// <summary>The node the entries belong to; must be the object's name (a reader refuses the object otherwise).</summary>
    [JsonPropertyName("node")] public string? Node { get; set; }
    /// <summary>The node's address (what gossip would give as the member's address).</summary>
    [JsonPropertyName("address")] public string? Address { get; set; }
    [JsonPropertyName("cluster")] public string? Cluster { get; set; }
    /// <summary>The node's publication, the same document gossip carries (Replication/NodeStateCodec).</summary>
    [JsonPropertyName("state")] public JsonElement State { get; set; }
}
