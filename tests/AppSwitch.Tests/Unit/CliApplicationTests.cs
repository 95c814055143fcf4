using AppSwitch.Cli;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class CliApplicationTests
{
    internal static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var code = await CliApplication.RunAsync(args, new Dictionary<string, string>(), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task UsageListsTheCommands(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.StartsWith("Usage: ax [--socket-dir DIR] [--admin-socket-dir DIR] COMMAND [ARGS...]\n", stdout);
        foreach (var command in new[] { "daemon", "run", "get", "version" }) Assert.Contains($"\n  {command} ", stdout);
    }

    [Fact]
    public async Task VersionIsOneLine()
    {
        var (code, stdout, _) = await RunAsync("version");
        Assert.Equal(0, code);
        Assert.Matches(@"^ax version \d+\.\d+\.\d+\S* \(AppSwitch for \.NET\)\n$", stdout);
    }

    [Theory]
    [InlineData("ax: unknown command \"frobnicate\" (see ax --help)\n", "frobnicate")]
    [InlineData("ax: unknown flag --frob\n", "--frob", "get", "apps")]
    [InlineData("ax: unknown flag --frob\n", "get", "apps", "--frob")]
    [InlineData("ax: get needs a resource type: apps, servers, sockets, nodes, vservices, proxies, services, rules, routes, actions, xds\n", "get")]
    [InlineData("ax: unknown resource type \"pods\" (have: apps, servers, sockets, nodes, vservices, proxies, services, rules, routes, actions, xds)\n", "get", "pods")]
    [InlineData("ax: unexpected argument \"web\" (usage: ax get apps|servers|sockets|nodes|vservices|proxies|services|rules|routes|actions|xds [-o json|yaml|wide] [--admin-socket-dir DIR])\n", "get", "apps", "web")]
    [InlineData("ax: invalid value \"xml\" for --output: must be json, yaml or wide\n", "get", "apps", "-o", "xml")]
    [InlineData("ax: flag -o needs a value\n", "get", "apps", "-o")]
    [InlineData("ax: 'run' is handled by the ax launcher (out/bin/ax); run it through ax\n", "run", "--ip", "198.18.0.1", "curl")]
    [InlineData("ax: unexpected argument \"now\" (usage: ax version)\n", "version", "now")]
    public async Task UsageMistakesAreOneLineAndExit2(string message, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(message, stderr);
    }

    [Fact]
    public async Task GetHelpPrintsItsUsage()
    {
        var (code, stdout, _) = await RunAsync("help", "get");
        Assert.Equal(0, code);
        Assert.StartsWith("Usage: ax get apps|servers|sockets", stdout);
    }

    [Fact]
    public async Task AnUnreachableDaemonIsOneLineAndExit1()
    {
        var dir = Directory.CreateTempSubdirectory("ax-unit-").FullName;
        try
        {
            var (code, stdout, stderr) = await RunAsync("--admin-socket-dir", dir, "get", "apps");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Equal($"ax: cannot reach the AppSwitch daemon at {dir}/api.sock (is `ax daemon` running?)\n", stderr);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public async Task WithoutTheAdminDirectoryTheLineSaysTheAdminApiIsOnTheNode()
    {
        // As inside a pod: it mounts the socket directory, never the admin directory.
        var dir = Path.Combine(Path.GetTempPath(), "ax-unit-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, stdout, stderr) = await RunAsync("--admin-socket-dir", dir, "get", "apps");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"ax: no AppSwitch admin socket at {dir}/api.sock (the admin API is served only on the node; " +
                     "use --admin-socket-dir or AX_ADMIN_SOCKET_DIR if the agent uses another directory)\n", stderr);
    }
}
