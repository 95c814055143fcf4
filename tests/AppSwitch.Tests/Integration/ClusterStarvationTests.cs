using System.Diagnostics;
using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 16 point 4, Lifeguard: an agent starved of CPU (SIGSTOP/SIGCONT bursts, 2 s stopped and 1 s running, for
/// 30 s: well beyond the 4 s suspicion timeout of a 3-member cluster) must not declare a healthy peer dead, and with
/// bursts shorter than the suspicion timeout it is suspected by the others but refutes in time, never dead.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class ClusterStarvationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Stopped = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Running = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Starvation = TimeSpan.FromSeconds(30);
    private static readonly Regex Death = new(@"Member (n\d): (Dead|Left)", RegexOptions.Compiled);

    [Fact]
    public async Task An_agent_starved_of_CPU_in_bursts_declares_no_peer_dead_and_is_not_declared_dead()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var starved = cluster.Agents[2];

        int bursts = await StarveAsync(starved);
        await cluster.AwaitAllAliveAsync();

        var deaths = cluster.Agents.SelectMany(a => Death.Matches(a.Output).Select(m => $"{a.Node.Name} saw {m.Value}")).ToList();
        var suspicions = cluster.Agents.Take(2).Sum(a => Regex.Matches(a.Output, "Member n3: Suspect").Count);
        output.WriteLine($"{bursts} bursts of {Stopped.TotalSeconds:F0} s stopped: n3 suspected {suspicions} times by n1/n2, deaths: {deaths.Count}");
        Assert.True(deaths.Count == 0, string.Join("\n", deaths) + "\n" + cluster.Logs());
        // The starved agent noticed its own trouble (a refuted suspicion or missed nacks raise the score).
        Assert.Contains("Gossip: local health score 0 -> ", starved.Output);
    }

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
