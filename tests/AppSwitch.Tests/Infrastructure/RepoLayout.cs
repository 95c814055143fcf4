using System.Reflection;
using System.Runtime.CompilerServices;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>Where the repository and its `make build` output (`out/`, an install prefix) are.</summary>
public static class RepoLayout
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The directory holding AppSwitch.sln.</summary>
    public static string RepoRoot => Root.Value;

    public static string OutDir => Path.Combine(RepoRoot, "out");

    /// <summary>The static launcher `out/bin/ax` (runs `ax run`, hands other subcommands on).</summary>
    public static string Ax => Path.Combine(OutDir, "bin", "ax");

    public static string HelpersDir => Path.Combine(RepoRoot, "tests", "helpers");

    /// <summary>Fails with a clear message when `make build` has not laid out out/.</summary>
    public static string RequireAx()
    {
        if (!File.Exists(Ax))
            throw new InvalidOperationException($"{Ax} not found: run `make build` first.");
        return Ax;
    }

    private static string FindRoot()
    {
        // The assembly normally lives under tests/AppSwitch.Tests/bin; with AX_ARTIFACTS it lives
        // elsewhere, so fall back to where this source file was compiled, then to the current directory.
        var starts = new List<string?>
        {
            Environment.GetEnvironmentVariable("AX_REPO_ROOT"),
            Path.GetDirectoryName(typeof(RepoLayout).Assembly.Location),
            Path.GetDirectoryName(SourceFile()),
            Environment.CurrentDirectory,
        };
        foreach (var start in starts)
        {
            if (string.IsNullOrEmpty(start)) continue;
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "AppSwitch.sln")))
                    return dir.FullName;
        }
        throw new InvalidOperationException(
            "cannot find the repository root (AppSwitch.sln) above the test assembly; set AX_REPO_ROOT");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
