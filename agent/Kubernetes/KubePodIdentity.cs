using System.Net;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Kubernetes;

/// <summary>Who an app running as a pod is for route rules: its Service's name and its tags in label form.</summary>
public sealed record KubePodIdentity(string Service, IReadOnlyDictionary<string, string> Labels);
