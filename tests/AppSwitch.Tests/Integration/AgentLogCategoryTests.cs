using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Every agent log line names the class that wrote it (the category after the level), so an operator can tell the
/// parts apart and filter by them: the seccomp handlers log as themselves, not as the supervisor that owns them.
/// </summary>
public sealed partial class AgentLogCategoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Serving_and_connecting_are_logged_by_the_listen_and_connect_handlers()
    {
        await using var node = await SingleNode.StartAsync(output, "--log-level", "debug");
        var root = RealPrograms.DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], RealPrograms.PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        var curl = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["curl", "-sS", "--max-time", "10", $"http://{VirtualIps.Server}:80/"]);
        Assert.True(curl.ExitCode == 0, "curl through the virtual ip: " + curl.Describe());

        var connected = $": connect {VirtualIps.Server}:80 -> ";
        // The console logger writes from its own queue: the line may come a moment after curl's answer.
        await Eventually.UntilAsync(() => CategoryOf(node.Agent.Output, connected) is not null, TimeSpan.FromSeconds(10),
            "the agent to log the connect", node.Diagnostics);
        Assert.Equal(("AppSwitch.Agent.Interception.ListenHandler", "AppSwitch.Agent.Interception.ConnectHandler"),
            (CategoryOf(node.Agent.Output, ": serving "), CategoryOf(node.Agent.Output, connected)));
    }

    /// <summary>The category of the first log line whose message contains <paramref name="text"/>, or null.</summary>
    private static string? CategoryOf(string log, string text) =>
        log.Split('\n').Select(line => LogLine().Match(line)).Where(m => m.Success && m.Groups["message"].Value.Contains(text))
            .Select(m => m.Groups["category"].Value).FirstOrDefault();

    // The simple console format the agent uses: "<UTC time> <level>: <category>[<event id>] <message>".
    [GeneratedRegex(@"^\S+ \w+: (?<category>[\w.]+)\[\d+\] (?<message>.*)$")]
    private static partial Regex LogLine();
}
