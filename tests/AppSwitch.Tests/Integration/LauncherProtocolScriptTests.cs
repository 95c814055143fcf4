using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The static launcher against a scripted fake agent (tests/native/): every PLAN/READY/ERROR path, bad
/// frames, --user, --interface, exit codes and dispatch — cases the real agent never produces.
/// </summary>
[Collection(HostGlobalCollection.Name)]
public sealed class LauncherProtocolScriptTests
{
    [Fact]
    public async Task Launcher_handles_every_agent_answer_and_failure()
    {
        var script = Path.Combine(RepoLayout.RepoRoot, "tests", "native", "launcher-test.sh");
        var result = await CommandRunner.RunAsync("bash", [script, RepoLayout.RequireAx()], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("failed 0", result.StdOut);
    }
}
