using AppSwitch.Common.Model;
using AppSwitch.Common.Paths;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// `make image` and seed 003's Kubernetes deployment in real containers, run as the kubelet would (podman with runc):
/// the agent image as kube-daemonset.yaml runs it — privileged, the host's PIDs, the node's network (a test node's
/// namespace), the host's /usr/bin at /host/usr/bin and the socket directories mounted — and app containers made from
/// `scratch` and busybox-static only, with the `ax` the agent's entry installed and /var/run/appswitch mounted from
/// the host, their command prefixed with `/usr/bin/ax run --ip …` as seed 003's nginx pod. An app on another node
/// (an agent outside containers) reaches them with `ax run curl`.
/// </summary>
public sealed class ContainerImageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ClusterTimeout = TimeSpan.FromSeconds(60);
    private const string Document = "served from a scratch+busybox container under ax run";

    [PodmanFact]
    public async Task The_agent_image_runs_the_seed_pods_and_another_node_reaches_them()
    {
        await using var network = TestNetwork.Create(2);
        var podman = network.Own(new Podman(network.Temp));
        var (agentImage, appImage) = (await podman.BuildAgentImageAsync(), await podman.BuildBusyboxImageAsync());

        // The host's paths the DaemonSet mounts, here under the test's temp directory (never the machine's /usr/bin).
        var hostBin = network.Temp.NewSubdirectory("host-usr-bin");
        var socketDir = network.Temp.NewSubdirectory("n1-sockets");
        var adminDir = Directory.CreateDirectory(AgentProcess.AdminDirOf(socketDir)).FullName;
        var site = DocumentRoot(network.Temp, "site", ("index.html", Document));
        string[] cluster = ["--neighbors", string.Join(",", network.Nodes.Select(n => n.Address)), "--cluster", "axtest",
            "--gossip-key", ThreeNodeCluster.NewKey(), "--ports", AgentProcess.DefaultPorts];
        var n1 = network.Nodes[0];
        await podman.RunDetachedAsync("appswitch-agent", ["--privileged", "--pid", "host", "--network", $"ns:/run/netns/{n1.Namespace}",
            "-v", $"{hostBin}:/host/usr/bin", "-v", $"{socketDir}:{SocketDirectory.Default}", "-v", $"{adminDir}:{AdminSocketDirectory.Default}",
            agentImage, "--node-interface", n1.Interface, "--node-name", n1.Name, "--rest-port", "0", .. cluster]);
        var other = await AgentProcess.StartAsync(network, network.Nodes[1], AgentProcess.DefaultRestPort, cluster);
        var client = new NodeShell(network, other);
        try
        {
            // The entry installed the launcher on the host, byte for byte the one `make build` made.
            var installed = Path.Join(hostBin, "ax");
            await Eventually.UntilAsync(() => File.Exists(installed), ClusterTimeout, $"the agent's entry to install {installed}",
                () => podman.Describe("appswitch-agent"));
            Assert.Equal(await File.ReadAllBytesAsync(RepoLayout.Ax), await File.ReadAllBytesAsync(installed));
            Assert.True((File.GetUnixFileMode(installed) & UnixFileMode.OtherExecute) != 0, "the installed ax is not executable");
            await Eventually.UntilAsync(async () =>
                {
                    if (!await podman.IsRunningAsync("appswitch-agent"))
                        throw new Xunit.Sdk.XunitException("the agent's container exited:\n" + podman.Describe("appswitch-agent"));
                    return (await client.GetAsync<NodeRecord>()).Any(n => n.Name == n1.Name && n.State == "alive");
                },
                ClusterTimeout, "the containerized agent to join the other node's cluster", () => podman.Describe("appswitch-agent") + other.Output);

            // Seed 003's nginx pod: `/usr/bin/ax run --ip …` before the command; the kubelet mounts a resolv.conf in every
            // container. `ax run` makes the app a network namespace of its own, for which the pod needs SYS_ADMIN and
            // NET_ADMIN (the dummy interface).
            var resolvConf = Path.Join(network.Temp.Path, "resolv.conf");
            await File.WriteAllTextAsync(resolvConf, "nameserver 10.96.0.10\n");
            string[] pod = ["--network", "none", "-v", $"{installed}:/usr/bin/ax:ro", "-v", $"{socketDir}:{SocketDirectory.Default}",
                "-v", $"{site}:/www:ro", "-v", $"{resolvConf}:/etc/resolv.conf:ro"];
            await podman.RunDetachedAsync("seed-pod", [.. pod, "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", appImage,
                "/usr/bin/ax", "run", "--ip", VirtualIps.Server, "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);
            // A pod with no capability added: its own network namespace is the app's, so `ax run --new-netns=false`.
            await podman.RunDetachedAsync("plain-pod", [.. pod, appImage,
                "/usr/bin/ax", "run", "--new-netns=false", "--ip", VirtualIps.Other, "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);

            foreach (var (name, ip) in new[] { ("seed-pod", VirtualIps.Server), ("plain-pod", VirtualIps.Other) })
            {
                await client.WaitForServerAsync($"{ip}:80", ClusterTimeout);
                var fetched = await client.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlBodyAndStatus($"http://{ip}/"));
                Assert.True(fetched.ExitCode == 0 && fetched.StdOut == Document + "\n200",
                    $"{name} at {ip}: {fetched.Describe()}\n{podman.Describe(name)}\n{podman.Describe("appswitch-agent")}");
            }
        }
        finally
        {
            output.WriteLine(podman.Describe("appswitch-agent"));
            output.WriteLine(other.Output);
        }
    }
}
