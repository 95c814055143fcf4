using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>What `ax run` itself does: the app's namespace, exit codes, and its errors.</summary>
public sealed class LauncherTests(ITestOutputHelper output)
{
    [Fact]
    public async Task App_sees_only_loopback_and_it_is_up()
    {
        await using var node = await SingleNode.StartAsync(output);
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Server], ["ip", "-o", "link"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        var links = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var names = links.Select(l => l.Split(':', 3)[1].Trim()).ToList();
        Assert.True(names.SequenceEqual(["lo"]), $"the app sees interfaces [{string.Join(", ", names)}]\n{result.StdOut}");
        Assert.Contains(",UP", links[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ax_run_without_a_daemon_fails_with_one_clear_line(bool socketDirFromEnvironment)
    {
        using var temp = new TempDirectory();
        var socketDir = temp.NewSubdirectory("no-daemon-here");
        var ax = RepoLayout.RequireAx();
        var result = socketDirFromEnvironment
            ? await CommandRunner.RunAsync(ax, ["run", "--ip", VirtualIps.Server, "--", "true"],
                new Dictionary<string, string> { ["AX_SOCKET_DIR"] = socketDir })
            : await CommandRunner.RunAsync(ax, ["run", "--socket-dir", socketDir, "--ip", VirtualIps.Server, "--", "true"]);

        Assert.True(result.ExitCode == 1, "the launcher's own errors exit 1: " + result.Describe());
        Assert.Equal(
            $"ax: cannot reach the AppSwitch daemon at {socketDir}/ax.sock (is `ax daemon` running?)",
            result.StdErr.TrimEnd('\n'));
        Assert.Equal("", result.StdOut);
    }

    [Theory]
    [InlineData("/nonexistent/axt-missing-command")]
    [InlineData("axt-missing-command")]
    public async Task Missing_command_exits_127_with_a_message_naming_it(string command)
    {
        await using var node = await SingleNode.StartAsync(output);
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Server], [command, "arg"]);
        Assert.True(result.ExitCode == 127, result.Describe());
        Assert.Contains(command, result.StdErr);
    }

    [Fact]
    public async Task App_exit_code_and_death_by_signal_are_its_own()
    {
        await using var node = await SingleNode.StartAsync(output);
        var exit3 = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Server], ["sh", "-c", "exit 3"]);
        Assert.True(exit3.ExitCode == 3, exit3.Describe());

        var killed = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Server], ["sh", "-c", "kill -TERM $$"]);
        Assert.True(killed.ExitCode == 128 + Signals.SIGTERM, killed.Describe());
    }
}
