using System.Text.Json;
using System.Text.Json.Serialization;
using AppSwitch.Agent.Cluster;

namespace AppSwitch.Agent.State;

public sealed record SavedKeyring(ulong Version, string Origin, string Primary, List<string> Keys);
