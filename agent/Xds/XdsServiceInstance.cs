using System.Net;

namespace AppSwitch.Agent.Xds;

/// <summary>One endpoint of an xDS service and the subsets it belongs to (Istio sends no subset labels: the subset's name is the tag).</summary>
public sealed record XdsServiceInstance(IPEndPoint Endpoint, int Weight, IReadOnlyList<string> Tags);
