using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>tests/helpers/agent_port_attack.py: an app's attempts on the agent's REST and gossip ports, and their outcomes.</summary>
public static class AgentPortAttack
{
    private static readonly string Script = Path.Combine(RepoLayout.HelpersDir, "agent_port_attack.py");

    public static string[] Command(string host, string restPort, string gossipPort = "7946", bool readOnly = false) =>
        readOnly ? ["python3", Script, host, restPort, gossipPort, "--read-only"] : ["python3", Script, host, restPort, gossipPort];

    /// <summary>attempt → outcome (errno name, "connected" or an HTTP status); fails with the run when it did not finish.</summary>
    public static Dictionary<string, string> Outcomes(CommandResult result)
    {
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2)).ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : "");
    }

    public static void AssertAllRefused(Dictionary<string, string> outcomes, string target)
    {
        string[] attempts = ["healthz", "create-rule", "delete-rules", "gossip-tcp", "gossip-udp"];
        foreach (var attempt in attempts)
            Assert.True(outcomes.GetValueOrDefault(attempt) == "ECONNREFUSED",
                $"{attempt} on {target}: expected ECONNREFUSED, got {outcomes.GetValueOrDefault(attempt) ?? "(no line)"}; all: "
                + string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
    }
}
