using System.Net;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Xds;
using Google.Protobuf.WellKnownTypes;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// A ServiceEntry with `resolution: DNS` naming a host (STRICT_DNS, endpoint `api.example.com`): the agent resolves the
/// name through its own upstream (`--dns-servers`: a DNS server the test runs on the node's network, whose answer it
/// can change) and, under REGISTRY_ONLY, an app reaches exactly the address the name resolves to now; after the answer
/// changes, the new address within the cluster's dns_refresh_rate and no longer the old one.
/// </summary>
public sealed class XdsDnsServiceEntryTests(ITestOutputHelper output)
{
    private const string Api = "api.example.com";
    private static readonly string StubServer = Path.Combine(RepoLayout.HelpersDir, "dns_stub_server.py");

    [Fact]
    public async Task A_hostname_service_entry_opens_the_address_its_name_resolves_to_and_follows_the_answer()
    {
        using var files = new TempDirectory();
        await using var pilot = await StandInPilot.StartAsync(Path.Combine(files.Path, "istiod.sock"));
        File.SetUnixFileMode(files.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var network = TestNetwork.Create(3);
        var (first, second) = (network.Nodes[1], network.Nodes[2]);
        await OutsideHost.ServeHttpAsync(network, first, 8080);
        await OutsideHost.ServeHttpAsync(network, second, 8080);
        network.Own(RunningProcess.Start("ip", network.Nodes[0].Exec("socat", $"TCP-LISTEN:{PilotNode.XdsPort},bind=127.0.0.1,fork,reuseaddr",
            $"UNIX-CONNECT:{pilot.UnixSocket}")));
        var answer = Path.Combine(files.Path, "answer");
        File.WriteAllText(answer, first.Address);
        File.SetUnixFileMode(answer, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var dns = RunningProcess.Start("ip", network.Nodes[0].Exec("python3", StubServer, "--port", "5353", "--bind", network.Nodes[0].Address, Api, "@" + answer));
        network.Own(dns);
        await dns.WaitForOutputAsync(o => o.Contains("ready"), PilotNode.Wait, "the test's DNS server to listen");

        var entry = ServiceEntryCluster(Api, 8080, DiscoveryType.StrictDns, Api);
        entry.DnsRefreshRate = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        pilot.Set(XdsTypeUrls.Cluster, entry, BlackHoleCluster());

        output.WriteLine($"agent --dns-servers {network.Nodes[0].Address}:5353 (stand-in at {pilot.UnixSocket})");
        await using var agent = await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort,
            ["--dns-servers", $"{network.Nodes[0].Address}:5353", "--xds-address", $"127.0.0.1:{PilotNode.XdsPort}"]);
        var shell = new NodeShell(network, agent);

        await AwaitReachAsync(shell, first.Address, "the address the name resolves to");
        ConnectProbe.AssertOutcome(await shell.RunUnderAxAsync([], ConnectProbe.Command(second.Address, 8080)), "ECONNREFUSED");

        File.WriteAllText(answer, second.Address); // the name moves
        await AwaitReachAsync(shell, second.Address, "the name's new address after a refresh");
        ConnectProbe.AssertOutcome(await shell.RunUnderAxAsync([], ConnectProbe.Command(first.Address, 8080)), "ECONNREFUSED");
    }

    private static async Task AwaitReachAsync(NodeShell shell, string address, string what)
    {
        var last = "";
        await Eventually.UntilAsync(async () =>
        {
            var result = await shell.RunUnderAxAsync([], CurlStatus($"http://{address}:8080/"));
            last = result.Describe();
            return result.ExitCode == 0 && result.StdOut == "200";
        }, PilotNode.Wait, $"an app reaches {address}:8080 ({what})", () => last);
    }
}
