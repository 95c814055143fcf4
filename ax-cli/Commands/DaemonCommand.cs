using AppSwitch.Cli.Native;

namespace AppSwitch.Cli.Commands;

/// <summary>`ax daemon …`: becomes the agent installed beside the CLI (out/lib/appswitch/agent/appswitch-agent).</summary>
internal static class DaemonCommand
{
    /// <summary>Overrides where the agent is (development trees, tests).</summary>
    public const string AgentPathVariable = "AX_AGENT_PATH";

    public static string AgentPath(IReadOnlyDictionary<string, string> environment) =>
        environment.TryGetValue(AgentPathVariable, out var path) && path.Length > 0
            ? path
            : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "agent", "appswitch-agent"));

    /// <summary>Replaces this process with the agent; returns only on failure.</summary>
    public static int Run(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, TextWriter stderr)
    {
        var agent = AgentPath(environment);
        if (!File.Exists(agent))
        {
            stderr.WriteLine($"ax: cannot find the agent at {agent} (set {AgentPathVariable} to its path)");
            return 1;
        }
        Console.Out.Flush();
        stderr.Flush();
        var error = Exec.Replace(agent, [agent, .. args]);
        stderr.WriteLine($"ax: cannot start the agent {agent}: {error}");
        return 1;
    }
}
