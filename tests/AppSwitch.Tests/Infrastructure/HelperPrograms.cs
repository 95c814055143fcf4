namespace AppSwitch.Tests.Infrastructure;

/// <summary>Builds the small C programs in tests/helpers/ with gcc (or another compiler, e.g. musl-gcc) into a test's temp directory.</summary>
public static class HelperPrograms
{
    /// <summary>Compiles tests/helpers/<paramref name="name"/>.c into <paramref name="dir"/>; returns the binary's path.</summary>
    public static async Task<string> BuildAsync(string name, string dir, bool isStatic = false, string compiler = "gcc")
    {
        var source = Path.Combine(RepoLayout.HelpersDir, name + ".c");
        var binary = Path.Combine(dir, name);
        string[] args = ["-O2", "-Wall", "-Werror", .. isStatic ? new[] { "-static" } : [], "-o", binary, source];
        var result = await CommandRunner.RunAsync(compiler, args, timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"cannot build helper {name}: {result.Describe()}");
        return binary;
    }
}
