using System.Text.Json.Nodes;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using AppSwitch.Tests.Infrastructure.Xds;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// `ax daemon --xds-ca-cert --xds-token-file` in a node namespace against the stand-in serving TLS as istiod's 15012
/// (its Unix socket forwarded to the node's 127.0.0.1:15012 by socat; the certificate names 127.0.0.1): with a CA
/// file holding another CA, `ax get xds` says why it is not connected and the daemon logs one warning line saying the
/// same; once Istio's root is in the file, the next reconnect trusts it and the routes are ACKed and listed.
/// </summary>
public sealed class XdsTlsAgentTests(ITestOutputHelper output)
{
    private const int XdsPort = 15012;
    private const string Token = "projected-serviceaccount-token";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AWrongCaIsShownByAxGetXdsAndLoggedThenIstiosRootIsTrustedOnTheNextReconnect()
    {
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var istioCa = TestCertificates.Create("istio-ca");
        using var otherCa = TestCertificates.Create("some-other-ca");
        var caFile = Path.Combine(dir.Path, "root-cert.pem");
        var tokenFile = Path.Combine(dir.Path, "istio-token");
        File.WriteAllText(caFile, otherCa.AuthorityPem);
        File.WriteAllText(tokenFile, Token);
        await using var pilot = await StandInPilot.StartAsync(Path.Combine(dir.Path, "istiod.sock"), istioCa.Server, Token);
        pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", 9080), EdsCluster("reviews", 9080, "v1"));
        pilot.Set(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", 9080, "v1"), System.Net.IPEndPoint.Parse("198.18.17.1:9080")));
        pilot.Set(XdsTypeUrls.Listener, ApiListener("reviews", 9080));
        pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", 9080, ToSubset("all", "reviews", 9080, "v1")));

        await using var node = await SingleNode.StartAsync(output, "--xds-address", $"127.0.0.1:{XdsPort}",
            "--xds-ca-cert", caFile, "--xds-token-file", tokenFile);
        node.Network.Own(RunningProcess.Start("ip", node.Node.Exec("socat", $"TCP-LISTEN:{XdsPort},bind=127.0.0.1,fork,reuseaddr",
            $"UNIX-CONNECT:{pilot.UnixSocket}")));

        const string why = $"TLS: istiod's certificate (CN=kube-apiserver, issued by CN=istio-ca) does not chain to the CA in ";
        CommandResult table = null!;
        await Eventually.UntilAsync(async () => (table = await node.Shell.AxAsync("get", "xds")).StdOut.Contains(why, StringComparison.Ordinal),
            Wait, "`ax get xds` to say why it is not connected");
        output.WriteLine(table.StdOut);
        Assert.Equal(0, table.ExitCode);
        Assert.Matches($"(?m)^backoff: {System.Text.RegularExpressions.Regex.Escape(why + caFile)} \\(--xds-ca-cert\\): \\w+", table.StdOut);
        Assert.Contains(node.Diagnostics().Split('\n'), line =>
            line.Contains($"xDS: cannot connect to 127.0.0.1:{XdsPort}: {why}{caFile}", StringComparison.Ordinal));
        Assert.Empty(pilot.Requests);

        File.WriteAllText(caFile, istioCa.AuthorityPem); // Istio's root, as a rotated ConfigMap would bring it
        await Eventually.UntilAsync(async () => AckedRoutes(await StatusAsync(node)) == pilot.VersionOf(XdsTypeUrls.Route), Wait,
            "the routes ACKed over TLS");
        table = await node.Shell.AxAsync("get", "xds");
        output.WriteLine(table.StdOut);
        Assert.Matches($@"(?m)^127\.0\.0\.1:{XdsPort}\s+connected\s+RouteConfiguration\s+{pilot.VersionOf(XdsTypeUrls.Route)}\s+1\s+0\s*$", table.StdOut);
        Assert.DoesNotContain("backoff:", table.StdOut);
        Assert.All(pilot.Requests, r => Assert.Equal("Bearer " + Token, r.Authorization));
    }

    private static async Task<JsonObject> StatusAsync(SingleNode node)
    {
        var result = await node.Shell.AxAsync("get", "xds", "-o", "json");
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonNode.Parse(result.StdOut)!["items"]![0]!.AsObject();
    }

    private static string? AckedRoutes(JsonObject status) =>
        status["types"]!.AsArray().FirstOrDefault(t => t!["type"]!.GetValue<string>() == "RouteConfiguration")?["ackedVersion"]?.GetValue<string>();
}
