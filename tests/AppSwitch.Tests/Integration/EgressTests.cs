using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// `ax daemon --egress allow|deny --egress-allow CIDR[:PORTS]`: what an app may reach outside AppSwitch. The outside
/// host is a second namespace of the test network running plain http servers (no agent there).
/// </summary>
public sealed class EgressTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Deny_refuses_outside_addresses_unless_allowed_and_apps_show_the_policy()
    {
        await using var network = TestNetwork.Create(2);
        var outside = network.Nodes[1];
        await OutsideHost.ServeHttpAsync(network, outside, 8080, 8081);

        // allow (the default): as AppSwitch always did.
        await CheckAsync(network, [], "allow", reach8080: true, reach8081: true);
        // deny: refused as a closed port is (curl exit 7 "Failed to connect").
        await CheckAsync(network, ["--egress", "deny"], "deny", reach8080: false, reach8081: false);
        // deny with the server's /32 and one port allowed: that port only.
        await CheckAsync(network, ["--egress", "deny", "--egress-allow", $"{outside.Address}/32:8080"],
            $"deny except {outside.Address}/32:8080", reach8080: true, reach8081: false);
    }

    private async Task CheckAsync(TestNetwork network, string[] flags, string policy, bool reach8080, bool reach8081)
    {
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort, flags);
        try
        {
            var shell = new NodeShell(network, agent);
            var idle = shell.StartUnderAx(["--name", "idle"], ["sleep", "600"]);
            var app = await shell.WaitForAppAsync("idle", app: idle);
            Assert.Equal(policy, app.Egress);
            var wide = await shell.AxAsync("get", "apps", "-o", "wide");
            Assert.True(wide.ExitCode == 0 && wide.StdOut.Contains("EGRESS", StringComparison.Ordinal)
                && wide.StdOut.Contains(policy, StringComparison.Ordinal), wide.Describe());

            foreach (var (port, reach) in new[] { (8080, reach8080), (8081, reach8081) })
            {
                var result = await shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlStatus($"http://{network.Nodes[1].Address}:{port}/"));
                if (reach) Assert.True(result.ExitCode == 0 && result.StdOut == "200", $"{policy}, port {port}: " + result.Describe());
                else ConnectProbe.AssertOutcome(await shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
                    ConnectProbe.Command(network.Nodes[1].Address, port)), "ECONNREFUSED");
                // The same destination as a v4-mapped address on an IPv6 socket is decided the same way.
                ConnectProbe.AssertOutcome(await shell.RunUnderAxAsync([], ConnectProbe.Command($"::ffff:{network.Nodes[1].Address}", port)),
                    reach ? "connected" : "ECONNREFUSED");
            }
            await idle.StopAsync(TimeSpan.FromSeconds(2));
        }
        finally
        {
            output.WriteLine(agent.Output);
            await agent.StopAsync();
        }
    }
}
