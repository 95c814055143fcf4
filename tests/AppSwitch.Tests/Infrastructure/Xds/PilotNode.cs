using System.Text.Json.Nodes;
using Xunit;

namespace AppSwitch.Tests.Infrastructure.Xds;

/// <summary>
/// An agent in a node namespace fed by a <see cref="StandInPilot"/> on a Unix socket: socat in the namespace forwards
/// the node's 127.0.0.1:15010 (istiod's plaintext port) to it. Reads `ax get xds` as a user would.
/// </summary>
public static class PilotNode
{
    public const int XdsPort = 15010;
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>Starts the node with `--xds-address 127.0.0.1:15010` and the forwarder to the stand-in.</summary>
    public static async Task<SingleNode> StartAsync(Xunit.Abstractions.ITestOutputHelper output, StandInPilot pilot)
    {
        var node = await SingleNode.StartAsync(output, "--xds-address", $"127.0.0.1:{XdsPort}");
        node.Network.Own(RunningProcess.Start("ip", node.Node.Exec("socat", $"TCP-LISTEN:{XdsPort},bind=127.0.0.1,fork,reuseaddr",
            $"UNIX-CONNECT:{pilot.UnixSocket}")));
        return node;
    }

    public static async Task<JsonObject> StatusAsync(SingleNode node)
    {
        var result = await node.Shell.AxAsync("get", "xds", "-o", "json");
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonNode.Parse(result.StdOut)!["items"]![0]!.AsObject();
    }

    public static string? AckedVersion(JsonObject status, string type) =>
        status["types"]!.AsArray().FirstOrDefault(t => t!["type"]!.GetValue<string>() == type)?["ackedVersion"]?.GetValue<string>();

    /// <summary>Waits until `ax get xds` shows the stand-in's current version of <paramref name="typeUrl"/> ACKed.</summary>
    public static Task WaitForAckAsync(SingleNode node, StandInPilot pilot, string typeUrl, string what) =>
        Eventually.UntilAsync(async () => AckedVersion(await StatusAsync(node), Agent.Xds.Client.XdsTypeUrls.Short(typeUrl)) == pilot.VersionOf(typeUrl),
            Wait, what);
}
