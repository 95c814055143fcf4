using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// A slice of `make fuzz-live` (tests/fuzz/live_replay.py): the committed fuzz seeds and regression inputs, filled up
/// with mutants, fed to a real agent's launcher socket, gossip UDP and TCP ports, DNS, HTTP relay and REST API, with
/// the script's health checks (alive, `ax get apps`, an `ax run` curl through the relay, no 5xx, no crit log line,
/// bounded RSS/fds/threads) after every batch. The script makes and removes its own namespace.
/// </summary>
public sealed class LiveFuzzReplayTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_agent_survives_malformed_input_on_every_endpoint_and_still_serves()
    {
        RepoLayout.RequireAx();
        using var temp = new TempDirectory();
        var report = Path.Combine(temp.Path, "live.md");
        var result = await CommandRunner.RunAsync("python3",
            [Path.Combine(RepoLayout.RepoRoot, "tests", "fuzz", "live_replay.py"), "--per-endpoint", "40", "--batch", "40",
             "--corpus", Path.Combine(RepoLayout.RepoRoot, "tests", "fuzz", "Regressions"),
             "--corpus", Path.Combine(RepoLayout.RepoRoot, "tests", "fuzz", "LiveSeeds"), "--out", report],
            timeout: TimeSpan.FromMinutes(5));
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        var table = File.ReadAllText(report);
        foreach (var endpoint in new[] { "launcher", "gossip-udp", "gossip-tcp", "dns", "http", "rules", "rest" })
            Assert.Contains($"| {endpoint} | 40 |", table);
        Assert.DoesNotContain("FAILED", table);
    }
}
