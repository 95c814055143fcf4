namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Test nodes (DESIGN §12): a bridge namespace `axt-&lt;id&gt;-br` with bridge br0, and N node namespaces
/// `axt-&lt;id&gt;-n1…` joined to it by veth pairs; node i has 10.77.0.(10+i)/24 on eth0, lo up and no
/// default route, so no packet leaves the test's namespaces. Disposing removes the namespaces, the
/// processes left in them and the run's temp directory, pass or fail.
/// </summary>
public sealed class TestNetwork : IAsyncDisposable
{
    public const string NamespacePrefix = "axt-";
    public const string Subnet = "10.77.0";

    private readonly List<string> _namespaces = [];
    private readonly List<IAsyncDisposable> _owned = [];

    public string Id => Temp.Id;
    public string BridgeNamespace { get; }
    public IReadOnlyList<TestNode> Nodes { get; }
    /// <summary>/tmp/axt-&lt;id&gt;/: socket dirs, document roots, helper builds of this network.</summary>
    public TempDirectory Temp { get; }

    private TestNetwork(int nodeCount)
    {
        Temp = new TempDirectory();
        BridgeNamespace = $"{NamespacePrefix}{Id}-br";
        var nodes = new List<TestNode>();
        try
        {
            AddNamespace(BridgeNamespace);
            Ip("-n", BridgeNamespace, "link", "add", "br0", "type", "bridge");
            Ip("-n", BridgeNamespace, "link", "set", "br0", "up");
            Ip("-n", BridgeNamespace, "link", "set", "lo", "up");
            for (var i = 1; i <= nodeCount; i++)
            {
                var ns = $"{NamespacePrefix}{Id}-n{i}";
                var node = new TestNode($"n{i}", ns, $"{Subnet}.{10 + i}");
                AddNamespace(ns);
                // Both ends are created directly in their namespaces: no name ever exists in the host's.
                Ip("-n", ns, "link", "add", node.Interface, "type", "veth", "peer", "name", $"vn{i}", "netns", BridgeNamespace);
                Ip("-n", BridgeNamespace, "link", "set", $"vn{i}", "master", "br0");
                Ip("-n", BridgeNamespace, "link", "set", $"vn{i}", "up");
                Ip("-n", ns, "addr", "add", $"{node.Address}/24", "dev", node.Interface);
                Ip("-n", ns, "link", "set", node.Interface, "up");
                Ip("-n", ns, "link", "set", "lo", "up");
                nodes.Add(node);
            }
        }
        catch
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        Nodes = nodes;
    }

    /// <summary>Creates the bridge and <paramref name="nodeCount"/> nodes. Needs root.</summary>
    public static TestNetwork Create(int nodeCount = 1)
    {
        if (!IsRoot())
            throw new InvalidOperationException("integration tests need root (network namespaces)");
        RemoveLeftoversOnce();
        return new TestNetwork(nodeCount);
    }

    // Thread-safe: parallel collections that create their first networks at once wait for one cleanup.
    private static readonly Lazy<bool> LeftoversRemoved = new(() => { RemoveLeftovers(); return true; });

    /// <summary>
    /// <see cref="RemoveLeftovers"/> exactly once per test run, before the first network: every integration test
    /// that makes namespaces, cgroups or /tmp/axt-* directories comes through <see cref="Create"/>.
    /// </summary>
    public static void RemoveLeftoversOnce() => _ = LeftoversRemoved.Value;

    /// <summary>Stopped (before the namespaces go) when the network is disposed.</summary>
    public T Own<T>(T resource) where T : IAsyncDisposable
    {
        lock (_owned) _owned.Add(resource);
        return resource;
    }

    /// <summary>
    /// Deletes `axt-*` namespaces (killing what runs in them) and /tmp/axt-* directories left by
    /// crashed runs. Those of a run that is still alive (another engineer's) are kept.
    /// </summary>
    public static void RemoveLeftovers()
    {
        var list = CommandRunner.Run("ip", "netns", "list");
        foreach (var line in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var ns = line.Split(' ')[0];
            if (!ns.StartsWith(NamespacePrefix, StringComparison.Ordinal)) continue;
            var id = ns[NamespacePrefix.Length..].Split('-')[0];
            if (TempDirectory.IsOwnedByLiveProcess(id)) continue;
            KillProcessesIn(ns);
            CommandRunner.Run("ip", "netns", "del", ns);
        }
        foreach (var cgroup in TestCgroups.Named(NamespacePrefix))
        {
            if (TempDirectory.IsOwnedByLiveProcess(cgroup[NamespacePrefix.Length..].Split('-')[0])) continue;
            try { Directory.Delete(TestCgroups.PathOf(cgroup)); } catch (IOException) { }
        }
        foreach (var dir in Directory.EnumerateDirectories("/tmp", TempDirectory.Prefix + "*"))
        {
            var id = Path.GetFileName(dir)[TempDirectory.Prefix.Length..];
            if (TempDirectory.IsOwnedByLiveProcess(id)) continue;
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> owned;
        lock (_owned) { owned = [.. _owned]; _owned.Clear(); }
        owned.Reverse();
        foreach (var o in owned)
        {
            try { await o.DisposeAsync(); } catch (Exception) { /* keep cleaning */ }
        }
        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            KillProcessesIn(ns);
            CommandRunner.Run("ip", "netns", "del", ns);
        }
        _namespaces.Clear();
        Temp.Dispose();
        // Last: the agents must be gone (rmdir of a cgroup with a process fails).
        foreach (var node in Nodes ?? []) await TestCgroups.RemoveAsync(node.SocketLockCgroup);
    }

    private void AddNamespace(string ns)
    {
        Ip("netns", "add", ns);
        _namespaces.Add(ns);
    }

    private static void KillProcessesIn(string ns)
    {
        var pids = CommandRunner.Run("ip", "netns", "pids", ns);
        foreach (var p in pids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(p.Trim(), out var pid)) Signals.Send(pid, Signals.SIGKILL);
    }

    private static void Ip(params string[] args) => CommandRunner.Run("ip", args).EnsureSuccess();

    private static bool IsRoot() => File.ReadAllLines("/proc/self/status")
        .FirstOrDefault(l => l.StartsWith("Uid:"))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";
}
