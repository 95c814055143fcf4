using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Builds the small C programs in tests/helpers/ with gcc (or another compiler, e.g. musl-gcc) once per test run:
/// each (source content, compiler, static) goes to its own directory of a run-wide cache, /tmp/axt-&lt;random id&gt;/
/// which follows the /tmp/axt-* rules (owner.pid: a later run removes it once this one is gone) and is removed when
/// the run ends. Tests only execute the binaries, never write them, so one copy serves every test.
/// </summary>
public static class HelperPrograms
{
    // One build per key even when parallel tests ask at once: the second caller awaits the first one's task.
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Builds = new();
    private static readonly Lazy<TempDirectory> Cache = new(CreateCache);

    /// <summary>The path of tests/helpers/<paramref name="name"/>.c built with these settings (built on first use).</summary>
    public static async Task<string> BuildAsync(string name, bool isStatic = false, string compiler = "gcc")
    {
        var source = Path.Combine(RepoLayout.HelpersDir, name + ".c");
        var key = $"{name}-{compiler}-{(isStatic ? "static" : "dynamic")}-{ContentHash(source)}";
        var build = Builds.GetOrAdd(key, k => new Lazy<Task<string>>(() => CompileAsync(source, name, k, isStatic, compiler)));
        try { return await build.Value; }
        catch
        {
            Builds.TryRemove(KeyValuePair.Create(key, build)); // a failed build is retried by the next caller, not cached
            throw;
        }
    }

    private static async Task<string> CompileAsync(string source, string name, string key, bool isStatic, string compiler)
    {
        var dir = Cache.Value.NewSubdirectory(key);
        var binary = Path.Combine(dir, name);
        string[] args = ["-O2", "-Wall", "-Werror", .. isStatic ? new[] { "-static" } : [], "-o", binary, source];
        var result = await CommandRunner.RunAsync(compiler, args, timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            throw new InvalidOperationException($"cannot build helper {name}: {result.Describe()}");
        }
        return binary;
    }

    private static string ContentHash(string source) =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(source)))[..16].ToLowerInvariant();

    private static TempDirectory CreateCache()
    {
        // A random id like every other test directory: a name another local user could guess and create first
        // would let them swap the binaries this root test run executes.
        var cache = new TempDirectory();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cache.Dispose();
        return cache;
    }
}
