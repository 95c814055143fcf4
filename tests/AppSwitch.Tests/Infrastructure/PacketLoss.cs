using System.Text.RegularExpressions;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Random loss of a node's outgoing packets on its eth0, so that every link of a test network loses that share
/// in each direction. `tc qdisc … netem loss P%` when the kernel has netem; otherwise an nftables rule in the
/// node's namespace that drops the same share at random (`numgen random mod 100 &lt; P`). Kernels built without
/// CONFIG_NET_SCH_NETEM and without module support (this project's VM) cannot load netem at all; nf_tables with
/// numgen is built in there. Nothing outside the node's namespace is touched; it goes with the namespace.
/// </summary>
public sealed class PacketLoss
{
    private const string Table = "axtest_loss";

    public TestNode Node { get; }
    /// <summary>"netem" or "nftables".</summary>
    public string Mechanism { get; }

    private PacketLoss(TestNode node, string mechanism)
    {
        Node = node;
        Mechanism = mechanism;
    }

    public static async Task<PacketLoss> ApplyAsync(TestNode node, int percent)
    {
        var netem = await CommandRunner.RunAsync("ip", node.Exec("tc", "qdisc", "add", "dev", node.Interface, "root", "netem", "loss", $"{percent}%"));
        if (netem.ExitCode == 0) return new PacketLoss(node, "netem");

        var nft = await CommandRunner.RunAsync("sh", ["-c", "command -v nft"]);
        if (nft.ExitCode != 0)
            throw new Xunit.Sdk.XunitException(
                $"cannot make packet loss on {node.Name}: tc netem failed ({netem.StdErr.Trim()}) and nft is not installed " +
                "(apt-get install nftables; scripts/install-deps.sh does)");
        await Nft(node, "add", "table", "inet", Table);
        await Nft(node, "add", "chain", "inet", Table, "out", "{ type filter hook output priority 0; policy accept; }");
        await Nft(node, "add", "rule", "inet", Table, "out", "oifname", node.Interface,
            "numgen", "random", "mod", "100", "<", percent.ToString(), "counter", "drop");
        return new PacketLoss(node, "nftables");
    }

    /// <summary>Packets dropped so far (netem: the qdisc's drop count; nftables: the rule's counter).</summary>
    public async Task<long> DroppedAsync()
    {
        if (Mechanism == "netem")
        {
            var stats = await CommandRunner.RunAsync("ip", Node.Exec("tc", "-s", "qdisc", "show", "dev", Node.Interface));
            var m = Regex.Match(stats.StdOut, @"dropped (\d+)");
            return m.Success ? long.Parse(m.Groups[1].Value) : 0;
        }
        var list = await Nft(Node, "list", "table", "inet", Table);
        var c = Regex.Match(list.StdOut, @"counter packets (\d+)");
        return c.Success ? long.Parse(c.Groups[1].Value) : 0;
    }

    private static async Task<CommandResult> Nft(TestNode node, params string[] args) =>
        (await CommandRunner.RunAsync("ip", node.Exec(["nft", .. args]))).EnsureSuccess();
}
