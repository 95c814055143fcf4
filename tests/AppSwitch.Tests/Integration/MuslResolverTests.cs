using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 4, first gap: musl's resolver binds its UDP socket to 0.0.0.0:0 (the agent leaves such a socket in
/// the app's namespace, where 127.0.0.1:53 is the agent's DNS) and then sendto's each nameserver of resolv.conf. When
/// that nameserver is elsewhere — a virtual IP, or an address of the node network — the first sendto must make the
/// socket a node socket (it used to be ENETUNREACH in the app's empty namespace), and the answer must come back from
/// the nameserver's address, or musl drops it.
/// </summary>
public sealed class MuslResolverTests(ITestOutputHelper output)
{
    private static readonly string StubServer = Path.Combine(RepoLayout.HelpersDir, "dns_stub_server.py");
    private const string Name = "outside.example";
    private const string Answer = "198.18.9.9";

    [Fact]
    public async Task A_static_musl_program_resolves_through_a_nameserver_on_a_virtual_ip_and_on_the_node_network()
    {
        // The agent's own DNS forwards to a port nobody serves: only the stubs below know the name.
        await using var node = await SingleNode.StartAsync(output, "--dns-servers", "127.0.0.1:5353");
        var resolve = await HelperPrograms.BuildAsync("resolve", isStatic: true, compiler: "musl-gcc");

        await using var onVip = node.Shell.StartUnderAx(["--ip", VirtualIps.Server],
            ["python3", StubServer, "--port", "53", "--bind", "0.0.0.0", Name, Answer]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:53", server: onVip);
        await using var onNode = node.Shell.Start("python3", StubServer, "--port", "53", "--bind", node.Node.Address, Name, Answer);
        await onNode.WaitForOutputAsync(o => o.Contains("ready"), NodeShell.DefaultTimeout, "the node-network stub to listen");

        foreach (var nameserver in new[] { VirtualIps.Server, node.Node.Address })
        {
            var result = await ResolveWithNameserverAsync(node, resolve, nameserver);
            Assert.True(result.ExitCode == 0 && result.StdOut == Answer + "\n",
                $"nameserver {nameserver}\n{result.Describe()}\n{node.Diagnostics()}");
        }
    }

    /// <summary>
    /// Runs the musl program under ax with the app's own resolv.conf naming <paramref name="nameserver"/>: a private
    /// mount namespace (unshare's mounts are private) binds a file over /etc/resolv.conf, and --dns-override=false keeps it.
    /// </summary>
    private static Task<CommandResult> ResolveWithNameserverAsync(SingleNode node, string resolve, string nameserver)
    {
        var resolvConf = node.Network.Temp.WriteFile($"resolv-{nameserver}.conf", $"nameserver {nameserver}\noptions timeout:2 attempts:1\n");
        return node.Shell.RunAsync(["unshare", "-m", "sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"",
            resolvConf, .. NodeShell.AxRun(["--dns-override=false"], [resolve, Name])]);
    }
}
