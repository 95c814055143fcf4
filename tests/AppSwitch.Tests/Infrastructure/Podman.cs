namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// podman and buildah with a storage of their own under the test's temp directory (`--root`, `--runroot`, `--tmpdir`,
/// the vfs driver): images and containers a test makes are seen by no one else and go with the directory. Runs
/// containers as this machine allows (runc and cgroupfs: crun refuses the hybrid cgroups; rlimits at 1024, which may
/// not be raised here). Disposing removes the containers (SIGKILL: an app as PID 1 may ignore SIGTERM), the storage
/// and the podman cgroups they left empty.
/// </summary>
public sealed class Podman : IAsyncDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Why podman tests cannot run here (a tool missing), or null when they can.</summary>
    public static string? Missing { get; } = FindMissing();

    private readonly string _storage;
    private readonly List<string> _containers = [];

    public Podman(TempDirectory temp) => _storage = temp.NewSubdirectory("containers");

    /// <summary>Global storage flags for podman and buildah (also what deploy/build-image.sh takes in AX_IMAGE_STORAGE).</summary>
    public string[] StorageFlags =>
        ["--root", Path.Join(_storage, "root"), "--runroot", Path.Join(_storage, "run"), "--storage-driver", "vfs"];

    private string[] PodmanFlags =>
        [.. StorageFlags, "--tmpdir", Path.Join(_storage, "tmp"), "--events-backend", "none", "--runtime", "runc", "--cgroup-manager", "cgroupfs"];

    /// <summary>`make image`'s script into this storage: the appswitch/ax image of kube-daemonset.yaml, from out/.</summary>
    public async Task<string> BuildAgentImageAsync(string name = "localhost/appswitch/ax:test")
    {
        var result = await CommandRunner.RunAsync("bash", [Path.Join(RepoLayout.RepoRoot, "deploy", "build-image.sh"), name],
            new Dictionary<string, string> { ["AX_IMAGE_STORAGE"] = string.Join(' ', StorageFlags), ["AX_OUT"] = RepoLayout.OutDir },
            CommandTimeout);
        result.EnsureSuccess();
        return name;
    }

    /// <summary>An image made from `scratch` with only this machine's busybox-static in it (/bin/busybox, /bin/sh).</summary>
    public async Task<string> BuildBusyboxImageAsync(string name = "localhost/busybox-static:test")
    {
        var busybox = new[] { "/bin/busybox", "/usr/bin/busybox" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("busybox-static is not installed");
        var container = (await BuildahAsync("from", "scratch")).StdOut.Trim();
        try
        {
            var root = (await BuildahAsync("mount", container)).StdOut.Trim();
            Directory.CreateDirectory(Path.Join(root, "bin"));
            File.Copy(busybox, Path.Join(root, "bin", "busybox"));
            File.SetUnixFileMode(Path.Join(root, "bin", "busybox"), (UnixFileMode)0b111_101_101);
            File.CreateSymbolicLink(Path.Join(root, "bin", "sh"), "busybox");
            await BuildahAsync("unmount", container);
            await BuildahAsync("commit", "--quiet", "--rm", container, name);
        }
        catch
        {
            await CommandRunner.RunAsync("buildah", [.. StorageFlags, "rm", container]);
            throw;
        }
        return name;
    }

    /// <summary>`podman run -d --name NAME ARGS…` (ARGS: run options, the image, its arguments); the container is removed at dispose.</summary>
    public async Task RunDetachedAsync(string name, params string[] args)
    {
        lock (_containers) _containers.Add(name);
        await PodmanAsync(["run", "-d", "--name", name, "--log-driver", "k8s-file", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", .. args]);
    }

    /// <summary>What the container printed so far and its state (for assertion messages).</summary>
    public string Describe(string name)
    {
        var logs = CommandRunner.Run("podman", [.. PodmanFlags, "logs", name]);
        var state = CommandRunner.Run("podman", [.. PodmanFlags, "inspect", "--format", "{{.State.Status}} (exit {{.State.ExitCode}})", name]);
        return $"--- container {name}: {state.StdOut.Trim()} ---\n{logs.StdOut}{logs.StdErr}";
    }

    /// <summary>Whether the container still runs (false once its command exited).</summary>
    public async Task<bool> IsRunningAsync(string name) =>
        (await CommandRunner.RunAsync("podman", [.. PodmanFlags, "inspect", "--format", "{{.State.Running}}", name])).StdOut.Trim() == "true";

    public async Task<CommandResult> PodmanAsync(params string[] args) =>
        (await CommandRunner.RunAsync("podman", [.. PodmanFlags, .. args], timeout: CommandTimeout)).EnsureSuccess();

    private async Task<CommandResult> BuildahAsync(params string[] args) =>
        (await CommandRunner.RunAsync("buildah", [.. StorageFlags, .. args], timeout: CommandTimeout)).EnsureSuccess();

    public async ValueTask DisposeAsync()
    {
        string[] containers;
        lock (_containers) containers = [.. _containers];
        if (containers.Length > 0) await CommandRunner.RunAsync("podman", [.. PodmanFlags, "rm", "--force", "--time", "0", .. containers]);
        // Images and layers (vfs: plain directories) go with the storage directory: nothing of it is mounted once the
        // containers are gone. Not `podman system reset`: it would also remove networks of the host's configuration.
        try { Directory.Delete(_storage, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        RemoveEmptyPodmanCgroups();
    }

    /// <summary>libpod_parent (and its conmon child) in every hierarchy, made by podman's first container: removed when empty.</summary>
    private static void RemoveEmptyPodmanCgroups()
    {
        if (!Directory.Exists("/sys/fs/cgroup")) return;
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
            foreach (var dir in new[] { "libpod_parent/conmon", "libpod_parent" })
            {
                // rmdir of a cgroup with processes or children fails (EBUSY): then it is someone else's and stays.
                try { Directory.Delete(Path.Join(hierarchy, dir)); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
    }

    private static string? FindMissing()
    {
        string[] tools = ["podman", "buildah", "runc"];
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':');
        var missing = tools.Where(t => !path.Any(dir => File.Exists(Path.Join(dir, t)))).ToList();
        return missing.Count == 0
            ? null
            : $"{string.Join(", ", missing)} not installed (Debian: apt-get install podman buildah runc; scripts/install-deps.sh does it)";
    }
}
