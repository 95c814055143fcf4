using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// A host outside AppSwitch: a namespace of the test network with plain http servers and no agent, for egress
/// decisions. Each server is awaited as reachable without ax from the first node (the reference for what a policy
/// then decides).
/// </summary>
public static class OutsideHost
{
    public static async Task ServeHttpAsync(TestNetwork network, TestNode outside, params int[] ports)
    {
        var root = DocumentRoot(network.Temp, "www", ("index.html", "outside"));
        var outsideShell = new NodeShell(network, outside, Path.Combine(network.Temp.Path, "none"));
        foreach (var port in ports)
        {
            var server = outsideShell.Start(PythonHttpServer(root, port, outside.Address));
            await Eventually.UntilAsync(async () => (await new NodeShell(network, network.Nodes[0], "/nonexistent")
                    .RunAsync(CurlStatus($"http://{outside.Address}:{port}/"))).StdOut == "200",
                TimeSpan.FromSeconds(30), $"the outside server on port {port}", server.Describe);
        }
    }
}
