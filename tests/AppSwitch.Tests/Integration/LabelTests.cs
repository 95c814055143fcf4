using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Labels keep zones apart: a client reaches a server only if they share a label; refusal looks like a closed port.</summary>
public sealed class LabelTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Only_clients_sharing_a_label_reach_a_labelled_server()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "prod"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--labels", "zone=prod,team=web"], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        var url = $"http://{VirtualIps.Server}/";

        var prod = await node.Shell.RunUnderAxAsync(["--labels", "zone=prod"], CurlStatus(url));
        Assert.True(prod.ExitCode == 0 && prod.StdOut == "200", prod.Describe());
        var team = await node.Shell.RunUnderAxAsync(["--labels", "zone=test,team=web"], CurlStatus(url));
        Assert.True(team.ExitCode == 0 && team.StdOut == "200", team.Describe());

        // Refused as a closed port is: the app's connect gets ECONNREFUSED (curl would only say "exit 7").
        foreach (string[] labels in new[] { Array.Empty<string>(), ["--labels", "zone=test"], ["--labels="] })
        {
            var refused = await node.Shell.RunUnderAxAsync(labels, ConnectProbe.Command(VirtualIps.Server, 80));
            ConnectProbe.AssertOutcome(refused, "ECONNREFUSED");
        }
        // The refusals were the labels' doing, not a server gone: a matching client is still served.
        var prodAgain = await node.Shell.RunUnderAxAsync(["--labels", "zone=prod"], CurlStatus(url));
        Assert.True(prodAgain.ExitCode == 0 && prodAgain.StdOut == "200", prodAgain.Describe());
    }

    [Fact]
    public async Task A_server_without_labels_is_open_to_every_client()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "open"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--labels="], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        foreach (string[] labels in new[] { Array.Empty<string>(), ["--labels", "zone=test"], ["--labels="] })
        {
            var result = await node.Shell.RunUnderAxAsync(labels, CurlStatus($"http://{VirtualIps.Server}/"));
            Assert.True(result.ExitCode == 0 && result.StdOut == "200", string.Join(" ", labels) + "\n" + result.Describe());
        }
    }
}
