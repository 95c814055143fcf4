using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>When an app exits, its entries leave the service table.</summary>
public sealed class CleanupTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Server_entry_and_app_are_gone_after_the_server_is_killed()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        Assert.True(server.Signal(Signals.SIGKILL), "could not kill the server");
        // The property is "gone"; how fast is the bench's business. 10 s only guards against a hang.
        await Eventually.UntilAsync(async () => !(await node.Shell.GetAsync<ServerRecord>()).Any(s => s.AppId == entry.AppId),
            TimeSpan.FromSeconds(10), $"the server entry of app {entry.AppId} to go after the server was killed", node.Diagnostics);

        var apps = await node.Shell.GetAsync<AppRecord>();
        Assert.DoesNotContain(apps, a => a.AppId == entry.AppId);
    }

    [Fact]
    public async Task Port_is_free_again_after_the_server_exits()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "second"));
        var first = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: first);
        await first.StopAsync(TimeSpan.FromSeconds(2));
        await Eventually.UntilAsync(async () => !(await node.Shell.GetAsync<ServerRecord>()).Any(s => s.AppId == entry.AppId),
            TimeSpan.FromSeconds(5), "the first server's entry to go", node.Diagnostics);

        var second = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: second);
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + second.Describe());
        Assert.Equal("second\n200", result.StdOut);
    }
}
