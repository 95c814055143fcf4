using Xunit;
using AppSwitch.Tests.Infrastructure;

namespace AppSwitch.Tests.Unit;

/// <summary>Issue 16 point 6: every type in a file of its own name (scripts/check-type-files.py lists the others).</summary>
public class SourceLayoutTests
{
    [Fact]
    public async Task Every_top_level_type_lives_in_a_file_of_its_own_name()
    {
        var result = await CommandRunner.RunAsync("python3",
            [Path.Combine(RepoLayout.RepoRoot, "scripts", "check-type-files.py"), RepoLayout.RepoRoot]);
        Assert.True(result.ExitCode == 0, $"files holding types not named as the file:\n{result.StdOut}{result.StdErr}");
    }
}
