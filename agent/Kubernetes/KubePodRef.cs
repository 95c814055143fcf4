using System.Net;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Kubernetes;

/// <summary>A watched pod: its namespace and name.</summary>
public sealed record KubePodRef(string Namespace, string Name);
