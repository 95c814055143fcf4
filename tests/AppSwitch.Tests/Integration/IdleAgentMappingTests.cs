using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// An agent without Kubernetes flags, xDS or header-regex rules, after serving its API, has none of the code for them
/// in memory: every mapped assembly is resident (file pages) and counts in the idle RSS budget (NOTES "idlemem").
/// Read from /proc/AGENT/maps, the files the process has mapped.
/// </summary>
public sealed class IdleAgentMappingTests(ITestOutputHelper output)
{
    /// <summary>Assemblies an idle agent must not load, and who would: the reason is the assertion's message.</summary>
    private static readonly Dictionary<string, string> NotLoaded = new()
    {
        ["KubernetesClient.dll"] = "the Kubernetes adapter is registered only with a Kubernetes flag (KubernetesAdapter.IsWanted)",
        ["YamlDotNet.dll"] = "kubeconfig reading belongs to the Kubernetes adapter",
        ["System.Text.RegularExpressions.dll"] = "the L7 request router makes its regex cache on the first header regex",
        ["System.Reflection.Emit.Lightweight.dll"] =
            "no IL is emitted at run time (RuntimeFeature.IsDynamicCodeSupported false in the agent's runtimeconfig)",
        ["System.Reflection.Emit.ILGeneration.dll"] =
            "no IL is emitted at run time (RuntimeFeature.IsDynamicCodeSupported false in the agent's runtimeconfig)",
    };

    [Fact]
    public async Task An_idle_agent_without_kubernetes_maps_no_code_it_does_not_use()
    {
        await using var node = await SingleNode.StartAsync(output);
        // The control plane in use: the first request builds ASP.NET's route matcher (IL-emitted jump tables when
        // dynamic code is on), each resolves services from the container (compiled at the second resolution).
        foreach (var what in new[] { "apps", "servers", "vservices", "rules", "apps" })
        {
            var listed = await node.Shell.AxAsync("get", what);
            Assert.True(listed.ExitCode == 0, listed.Describe());
        }

        var mapped = File.ReadLines($"/proc/{node.Agent.Pid}/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 6 && fields[5].StartsWith('/'))
            .Select(fields => Path.GetFileName(fields[5].Trim()))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("appswitch-agent.dll", mapped); // the right process: its own assembly is there
        foreach (var (assembly, why) in NotLoaded)
            Assert.False(mapped.Contains(assembly), $"the idle agent maps {assembly}: {why}\n{node.Diagnostics()}");
    }
}
