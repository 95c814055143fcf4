using System.Diagnostics;
using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 16 point 4, Lifeguard: an agent starved of CPU (SIGSTOP/SIGCONT bursts, 2 s stopped and 1 s running, for
/// 30 s) reads its peers' acks late, so its own probes of healthy peers time out. Two clusters are starved side by
/// side under the same load: in one the starved agent runs with local health awareness (the default), in the other
/// with it off (AX_GOSSIP_TEST_AWARENESS_MAX=1: plain SWIM, no score and no stall guards). With awareness the
/// starved agent blames itself — no failed probe of a healthy peer, no suspicion of one, nobody dead; without it,
/// it fails probes of its healthy peers and suspects them (false positives), which is what awareness prevents.
/// Bursts are shorter than the 4 s suspicion timeout, so the others may suspect the starved agent but it refutes in
/// time and is never declared dead.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class ClusterStarvationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Stopped = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Running = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Starvation = TimeSpan.FromSeconds(30);
    private static readonly Regex Death = new(@"Member (n\d): (Dead|Left)", RegexOptions.Compiled);
    // The starved agent (n3) logs each probe of its own that failed (debug): n1 and n2 are healthy, so each is false.
    private static readonly Regex FailedProbeOfHealthyPeer = new(@"Gossip: probe of n[12] at \S+ failed", RegexOptions.Compiled);
    private static readonly Regex SuspicionOfHealthyPeer = new(@"Member n[12]: Suspect", RegexOptions.Compiled);

    [Fact]
    public async Task A_starved_agent_blames_no_healthy_peer_with_local_health_awareness_and_does_without_it()
    {
        // Both clusters at once: the contrast is measured under one and the same load.
        var aware = ThreeNodeCluster.StartAsync(output);
        var unaware = ThreeNodeCluster.StartWithEnvironmentAsync(output, i => i == 2 ? ["AX_GOSSIP_TEST_AWARENESS_MAX=1"] : null);
        await using var awareCluster = await aware;
        await using var unawareCluster = await unaware;
        await Task.WhenAll(awareCluster.AwaitAllAliveAsync(), unawareCluster.AwaitAllAliveAsync());

        var bursts = await Task.WhenAll(StarveAsync(awareCluster.Agents[2]), StarveAsync(unawareCluster.Agents[2]));
        await Task.WhenAll(awareCluster.AwaitAllAliveAsync(), unawareCluster.AwaitAllAliveAsync());

        var withAwareness = Tally(awareCluster);
        var without = Tally(unawareCluster);
        output.WriteLine($"{bursts[0]}/{bursts[1]} bursts of {Stopped.TotalSeconds:F0} s stopped. With awareness: {withAwareness}. Without: {without}");

        Assert.True(withAwareness.Deaths.Count == 0, string.Join("\n", withAwareness.Deaths) + "\n" + awareCluster.Logs());
        Assert.True(withAwareness.FailedProbes == 0 && withAwareness.Suspicions == 0,
            $"with awareness the starved agent blamed healthy peers: {withAwareness}\n{awareCluster.Logs()}");
        // The starved agent noticed its own trouble (stalled probes, refuted suspicions raise the score).
        Assert.Contains("Gossip: local health score 0 -> ", awareCluster.Agents[2].Output);

        Assert.True(without.FailedProbes > 0, $"without awareness the starved agent failed no probe of a healthy peer: {without}\n{unawareCluster.Logs()}");
        Assert.DoesNotContain("Gossip: local health score", unawareCluster.Agents[2].Output);
    }

    private sealed record Outcome(List<string> Deaths, int FailedProbes, int Suspicions)
    {
        public override string ToString() =>
            $"{FailedProbes} failed probes of healthy peers by the starved agent, {Suspicions} suspicions of healthy peers, {Deaths.Count} deaths";
    }

    private static Outcome Tally(ThreeNodeCluster cluster) => new(
        cluster.Agents.SelectMany(a => Death.Matches(a.Output).Select(m => $"{a.Node.Name} saw {m.Value}")).ToList(),
        FailedProbeOfHealthyPeer.Matches(cluster.Agents[2].Output).Count,
        cluster.Agents.Sum(a => SuspicionOfHealthyPeer.Matches(a.Output).Count));

    /// <summary>Stops and continues the agent (and any child of it) in bursts; always leaves it running.</summary>
    private static async Task<int> StarveAsync(AgentProcess agent)
    {
        var clock = Stopwatch.StartNew();
        int bursts = 0;
        var pids = new[] { agent.Pid }.Concat(Signals.Descendants(agent.Pid)).ToList();
        try
        {
            while (clock.Elapsed < Starvation)
            {
                foreach (var pid in pids) Signals.Send(pid, Signals.SIGSTOP);
                bursts++;
                await Task.Delay(Stopped); // the stimulus itself: how long the agent gets no CPU
                foreach (var pid in pids) Signals.Send(pid, Signals.SIGCONT);
                await Task.Delay(Running);
            }
        }
        finally
        {
            foreach (var pid in pids) Signals.Send(pid, Signals.SIGCONT);
        }
        return bursts;
    }
}
