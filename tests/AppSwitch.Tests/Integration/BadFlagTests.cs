using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 3, point 3: every usage mistake on the real `ax` binary (CLI commands, `ax run`, `ax daemon`) exits 2
/// with one line on stderr that names the problem, and no stack trace. Table-driven: each table runs in one
/// test and reports every row that is wrong.
/// </summary>
public sealed class BadFlagTests(ITestOutputHelper output)
{
    private sealed record Row(string[] Args, string Says, Dictionary<string, string>? Environment = null);

    private static Row R(string says, params string[] args) => new(args, says);

    /// <summary>What is wrong with a result that should be a usage error saying <paramref name="says"/>; null when right.</summary>
    private static string? Problem(CommandResult result, string says)
    {
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode != 2) return $"exit {result.ExitCode}, expected 2";
        if (lines.Length != 1) return $"{lines.Length} lines on stderr, expected 1";
        if (!lines[0].StartsWith("ax", StringComparison.Ordinal)) return "the line does not start with \"ax\"";
        if (!lines[0].Contains(says, StringComparison.Ordinal)) return $"the line does not say \"{says}\"";
        if (result.StdErr.Contains("   at ", StringComparison.Ordinal) || result.StdErr.Contains("Exception", StringComparison.Ordinal))
            return "a stack trace or exception name on stderr";
        return null;
    }

    private async Task CheckAllAsync(IEnumerable<Row> rows, Func<Row, Task<CommandResult>> run)
    {
        var failures = new List<string>();
        foreach (var row in rows)
        {
            var result = await run(row);
            output.WriteLine($"{string.Join(' ', row.Args)} -> {result.ExitCode}: {result.StdErr.TrimEnd()}");
            if (Problem(result, row.Says) is { } problem) failures.Add($"{problem}: {result.Describe()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Cli_usage_mistakes_exit_2_with_one_line()
    {
        await using var node = await SingleNode.StartAsync(output);
        Row[] rows =
        [
            R("unknown resource type \"nosuchthing\"", "get", "nosuchthing"),
            R("invalid value \"nosuchformat\" for --output", "get", "apps", "-o", "nosuchformat"),
            R("invalid value \"xml\" for --output", "get", "servers", "--output=xml"),
            R("flag -o needs a value", "get", "sockets", "-o"),
            R("get needs a resource type", "get"),
            R("unexpected argument \"extra\"", "get", "apps", "extra"),
            R("unknown flag --bogus", "get", "apps", "--bogus"),
            R("unknown flag -x", "get", "apps", "-x"),
            R("unknown flag --bogus", "--bogus", "get", "apps"),
            R("--socket-dir needs a value", "--socket-dir"),
            R("unknown command \"nosuchcommand\"", "nosuchcommand"),
            R("unknown command \"nosuchcommand\"", "help", "nosuchcommand"),
            R("unexpected argument \"now\"", "version", "now"),
        ];
        await CheckAllAsync(rows, row => node.Shell.AxAsync(row.Args));
    }

    [Fact]
    public async Task Ax_run_usage_mistakes_exit_2_with_one_line()
    {
        await using var node = await SingleNode.StartAsync(output);
        Row[] rows =
        [
            R("--ip", "run", "--ip", "999.1.1.1", "--", "true"),
            R("IPv4 only", "run", "--ip", "fd00::1", "--", "true"),
            R("loopback", "run", "--ip", "127.0.0.5", "--", "true"),
            R("--labels", "run", "--labels", "a=b,,c", "--", "true"),
            R("given twice", "run", "--labels", "a=b,a=c", "--", "true"),
            R("--name", "run", "--name", "Not_A_Label!", "--", "true"),
            R("--user", "run", "--user", "a b", "--", "true"),
            R("lo already exists", "run", "--interface", "lo", "--", "true"),
            R("--interface needs a new network namespace", "run", "--interface", "ax0", "--new-netns=false", "--", "true"),
            R("--new-netns", "run", "--new-netns=maybe", "--", "true"),
            R("unknown flag --bogus", "run", "--bogus", "--", "true"),
            R("flag --ip needs a value", "run", "--ip"),
            R("no command given", "run", "--ip", VirtualIps.Client),
            R("no command given", "run"),
        ];
        await CheckAllAsync(rows, row => node.Shell.AxAsync(row.Args));
        Assert.False(node.Agent.HasExited, node.Diagnostics());
        var apps = await node.Shell.GetAsync<AppSwitch.Common.Model.AppRecord>();
        Assert.Empty(apps);
    }

    [Fact]
    public async Task Daemon_usage_mistakes_exit_2_with_one_line()
    {
        await using var network = TestNetwork.Create(1);
        var node = network.Nodes[0];
        var socketDir = network.Temp.NewSubdirectory("daemon");
        var shell = new NodeShell(network, node, socketDir);
        string[] good = ["daemon", "--socket-dir", socketDir, "--node-interface", node.Interface];
        Row[] rows =
        [
            R("unknown flag --no-such-flag", "--no-such-flag"),
            R("--ports", "--ports", "0-10"),
            R("--ports", "--ports", "5-1"),
            R("--ports", "--ports", ""),
            R("--ports", "--ports", "1-2,,3"),
            R("--rest-port", "--rest-port", "-1"),
            R("--rest-port", "--rest-port", "abc"),
            R("--rest-port", "--rest-port", "65536"),
            R("--node-interface", "--node-interface", "nosuchif0"),
            R("--node-interface", "--node-interface", "::1"),
            R("--node-name", "--node-name", "bad name"),
            R("--cluster", "--cluster", ""),
            R("kernel driver is not available", "--driver", "kernel"),
            R("--driver", "--driver", "bpf"),
            R("--clean", "--clean=maybe"),
            R("--log-level", "--log-level", "loud"),
            R("--socket-dir", "--socket-dir", ""),
            R("--socket-dir", "--socket-dir", "/" + new string('x', 120)),
            R("--admin-socket-dir", "--admin-socket-dir", ""),
            R("--api-token-file", "--api-token-file", "/nonexistent/token"),
            R("--api-key", "--api-cert", "/etc/passwd"),
            R("--socket-group", "--socket-group", "axt-no-such-group"),
            R("--socket-group", "--socket-group", "4294967295"),
            R("--socket-group", "--socket-group", ""),
            R("--egress", "--egress", "block"),
            R("--egress-allow", "--egress", "deny", "--egress-allow", "10.0.0.1/8"),
            R("--egress-allow needs --egress deny", "--egress-allow", "10.0.0.0/8"),
            R("unexpected argument \"positional\"", "positional"),
            R("flag --ports needs a value", "--ports"),
            new(["daemon-env"], "AX_REST_PORT", new() { ["AX_REST_PORT"] = "abc" }),
            new(["daemon-env"], "AX_SOCKET_GROUP", new() { ["AX_SOCKET_GROUP"] = "axt-no-such-group" }),
            new(["daemon-env"], "unknown flag --bogus", new() { ["AX_OPTS"] = "--bogus" }),
            new(["daemon-env"], "AX_EGRESS_ALLOW", new() { ["AX_EGRESS"] = "deny", ["AX_EGRESS_ALLOW"] = "10.0.0.0/8:0" }),
        ];
        await CheckAllAsync(rows, row =>
        {
            if (row.Environment is null)
                return shell.RunAsync([RepoLayout.RequireAx(), .. good, .. row.Args], TimeSpan.FromSeconds(20));
            // `env` sets the variables for the daemon only; the good flags stay.
            var assignments = row.Environment.Select(kv => $"{kv.Key}={kv.Value}");
            return shell.RunAsync(["env", .. assignments, RepoLayout.RequireAx(), .. good], TimeSpan.FromSeconds(20));
        });
    }
}
