// N gossip members in one process on 127.0.0.1 (distinct ports) at the default LAN profile (or --fast):
// join convergence, time for one new state to reach every member (p50/p99), bytes per second per member,
// time for every member to see a killed member dead; with --loss, false "dead" declarations over a period.
// --stagger-ms G starts and joins the members one after another, G ms apart (as agents started one by one; join
// convergence is then counted from the last member's join). Besides the readable lines it prints `RESULT key
// value` lines for tests/bench/cluster-vs-serf.sh, and the bytes sent on lo when run in a namespace of its own.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using AppSwitch.Agent.Cluster;

int nodes = 100, lossPercent = 0, quietSeconds = 10, staggerMs = -1;
bool fast = false, joinOnly = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--nodes": nodes = int.Parse(args[++i]); break;
        case "--loss": lossPercent = int.Parse(args[++i]); break;
        case "--quiet-seconds": quietSeconds = int.Parse(args[++i]); break;
        case "--fast": fast = true; break;
        case "--stagger-ms": staggerMs = int.Parse(args[++i]); break;
        case "--join-only": joinOnly = true; break;
        default: Console.Error.WriteLine("usage: gossip-bench [--nodes N] [--loss PERCENT] [--quiet-seconds S] [--stagger-ms G] [--fast] [--join-only]"); return 2;
    }
}

var clock = Stopwatch.StartNew();
var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
long udpDropsAtStart = UdpReceiveDrops();
double Now() => clock.Elapsed.TotalMilliseconds;
var joinedSeen = new int[nodes];
var allSeenAt = new double[nodes];
var stateSeenAt = new double[nodes];
var deadSeenAt = new double[nodes];
var falseDead = new ConcurrentBag<string>();
const string StateOwner = "m0001", Victim = "m0002";
ulong wantedVersion = ulong.MaxValue;
bool victimKilled = false;
double firstSuspectAt = 0;

GossipOptions Options(int i)
{
    var o = new GossipOptions { NodeName = $"m{i:D4}", ClusterName = "bench", BindAddress = IPAddress.Loopback, BindPort = 0 };
    if (fast)
    {
        o.ProbeInterval = TimeSpan.FromMilliseconds(200); o.ProbeTimeout = TimeSpan.FromMilliseconds(100);
        o.GossipInterval = TimeSpan.FromMilliseconds(40); o.PushPullInterval = TimeSpan.FromSeconds(6);
    }
    if (lossPercent > 0) o.DropPacket = (_, _) => Random.Shared.Next(100) < lossPercent;
    return o;
}

// The thread pool during the join: work items waiting (the process is CPU-bound when they pile up) and threads.
long poolQueueMax = 0;
int poolThreadsMax = 0;
using var poolSampling = new CancellationTokenSource();
var poolSampler = Task.Run(async () =>
{
    while (!poolSampling.IsCancellationRequested)
    {
        poolQueueMax = Math.Max(poolQueueMax, ThreadPool.PendingWorkItemCount);
        poolThreadsMax = Math.Max(poolThreadsMax, ThreadPool.ThreadCount);
        try { await Task.Delay(50, poolSampling.Token); } catch (OperationCanceledException) { }
    }
});

var members = new GossipNode[nodes];
var readers = new List<Task>();
var joins = new List<Task>();
double joinStart = 0;
for (int i = 0; i < nodes; i++)
{
    if (staggerMs >= 0 && i > 1) await Task.Delay(staggerMs);
    if (staggerMs >= 0) joinStart = Now();
    members[i] = await GossipNode.StartAsync(Options(i));
    if (staggerMs >= 0 && i > 0) joins.Add(members[i].JoinAsync([$"127.0.0.1:{members[0].BoundPort}"]));
    int index = i;
    var node = members[i];
    readers.Add(Task.Run(async () =>
    {
        await foreach (var e in node.Events.ReadAllAsync())
        {
            switch (e.Kind)
            {
                case MemberEventKind.Joined:
                    if (Interlocked.Increment(ref joinedSeen[index]) == nodes - 1) allSeenAt[index] = Now();
                    break;
                case MemberEventKind.Updated when e.Member.Name == StateOwner && e.Member.StateVersion >= Volatile.Read(ref wantedVersion):
                    if (stateSeenAt[index] == 0) stateSeenAt[index] = Now();
                    break;
                case MemberEventKind.Suspect when e.Member.Name == Victim && Volatile.Read(ref victimKilled):
                    Interlocked.CompareExchange(ref firstSuspectAt, Now(), 0);
                    break;
                case MemberEventKind.Dead when e.Member.Name == Victim && Volatile.Read(ref victimKilled):
                    if (deadSeenAt[index] == 0) deadSeenAt[index] = Now();
                    break;
                case MemberEventKind.Dead:
                    falseDead.Add($"{node.Name} declared {e.Member.Name} dead at {Now() / 1000:F1} s");
                    break;
            }
        }
    }));
}
Console.WriteLine($"{nodes} members started in {Now():F0} ms ({(fast ? "fast test profile" : "LAN profile")}, loss {lossPercent}%" +
                  (staggerMs >= 0 ? $", one after another {staggerMs} ms apart, each joining member 0)" : ")"));

static void Result(string key, double value) => Console.WriteLine($"RESULT {key} {value:F0}");

// p50 and p99 of the delays as RESULT lines (`key_p50_ms`, `key_p99_ms`; tests/bench/scale reads them).
static void ResultPercentiles(string key, IEnumerable<double> delays)
{
    var sorted = delays.Order().ToArray();
    if (sorted.Length == 0) return;
    Result($"{key}_p50_ms", sorted[(int)Math.Ceiling(0.5 * sorted.Length) - 1]);
    Result($"{key}_p99_ms", sorted[(int)Math.Ceiling(0.99 * sorted.Length) - 1]);
}

// Bytes sent on lo so far: only this process's traffic when it runs in a network namespace of its own.
static (long Bytes, long Packets) LoTx()
{
    foreach (var line in File.ReadLines("/proc/net/dev"))
    {
        var colon = line.IndexOf(':');
        if (colon < 0 || line[..colon].Trim() != "lo") continue;
        var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(f[8]), long.Parse(f[9]));
    }
    return (0, 0);
}

// Datagrams the kernel dropped because a socket's receive buffer was full (this namespace: this process).
static long UdpReceiveDrops()
{
    var lines = File.ReadLines("/proc/net/snmp").Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToList();
    if (lines.Count < 2) return 0;
    int column = Array.IndexOf(lines[0].Split(' '), "RcvbufErrors");
    return column < 0 ? 0 : long.Parse(lines[1].Split(' ')[column]);
}

async Task<bool> WaitAsync(Func<bool> done, TimeSpan timeout)
{
    var until = Now() + timeout.TotalMilliseconds;
    while (!done()) { if (Now() > until) return false; await Task.Delay(20); }
    return true;
}

string Percentiles(IEnumerable<double> values)
{
    var sorted = values.OrderBy(v => v).ToArray();
    if (sorted.Length == 0) return "n/a";
    double P(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    return $"p50 {P(0.5):F0} ms, p99 {P(0.99):F0} ms, max {sorted[^1]:F0} ms";
}

// Join: every member through member 0, all at once (or one after another, above).
if (staggerMs < 0)
{
    joinStart = Now();
    joins.AddRange(members.Skip(1).Select(m => m.JoinAsync([$"127.0.0.1:{members[0].BoundPort}"])));
}
await Task.WhenAll(joins);
bool converged = await WaitAsync(() => allSeenAt.All(t => t > 0), TimeSpan.FromSeconds(120));
Console.WriteLine(converged
    ? $"join convergence (each member sees all {nodes}) after the {(staggerMs < 0 ? "joins" : "last join")}: {Percentiles(allSeenAt.Select(t => t - joinStart))}"
    : $"join did not converge in 120 s: {allSeenAt.Count(t => t > 0)} of {nodes} see everyone");
if (converged)
{
    Result("join_ms", allSeenAt.Max() - joinStart);
    ResultPercentiles("join", allSeenAt.Select(t => t - joinStart));
}
// Where the join's work went: CPU of this process against wall time (2 cores = 2 s per s), and per member what
// the gossip handled and queued (sums over the members / N).
{
    await poolSampling.CancelAsync();
    await poolSampler;
    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds, wall = Now() / 1000;
    double Per(Func<GossipCounters, long> counter) => members.Sum(m => counter(m.Counters)) / (double)nodes;
    Console.WriteLine($"join phase: {cpu:F1} s CPU in {wall:F1} s ({cpu / wall:F2} cores); per member: datagrams/frames received {Per(c => c.MessagesReceived):F0}, " +
                      $"membership messages handled {Per(c => c.MembershipHandled):F0}, broadcasts queued {Per(c => c.BroadcastsQueued):F0} " +
                      $"(dropped by a full queue {Per(c => c.BroadcastsDropped):F1}), push/pulls {Per(c => c.PushPulls):F1}, suspicions {Per(c => c.SuspicionsRaised):F2}, " +
                      $"refutations {Per(c => c.Refutations):F2}, inbox drops {Per(c => c.InboxDropped):F1}; UDP receive-buffer drops (all) {UdpReceiveDrops() - udpDropsAtStart}; " +
                      $"thread pool: up to {poolQueueMax} work items waiting, up to {poolThreadsMax} threads");
    Result("join_cpu_s", cpu);
    Result("join_membership_messages_per_member", Per(c => c.MembershipHandled));
}
if (joinOnly)
{
    await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
    return converged ? 0 : 1;
}

// Bandwidth in a quiet period.
long bytesBefore = members.Sum(m => m.Counters.BytesSent);
var loBefore = LoTx();
double quietStart = Now();
await Task.Delay(TimeSpan.FromSeconds(quietSeconds));
double seconds = (Now() - quietStart) / 1000;
double perMember = (members.Sum(m => m.Counters.BytesSent) - bytesBefore) / seconds / nodes;
var loAfter = LoTx();
double loPerMember = (loAfter.Bytes - loBefore.Bytes) / seconds / nodes;
Console.WriteLine($"steady state: {perMember:F0} bytes/s sent per member (gossip payload); {loPerMember:F0} bytes/s per member on lo " +
                  $"({(loAfter.Packets - loBefore.Packets) / seconds / nodes:F1} packets/s; counts every process of this namespace)");
Result("bytes_per_s_per_member", perMember);
Result("lo_bytes_per_s_per_member", loPerMember);

// One new state.
var owner = members[1];
Volatile.Write(ref wantedVersion, owner.LocalStateVersion + 1);
double stateStart = Now();
owner.SetLocalState(System.Text.Encoding.UTF8.GetBytes("apps: web 198.18.0.1; servers: tcp 198.18.0.1:80"));
stateSeenAt[1] = stateStart;
bool spread = await WaitAsync(() => stateSeenAt.All(t => t > 0), TimeSpan.FromSeconds(60));
Console.WriteLine((spread ? "" : "(incomplete) ") + $"new state reached every member: {Percentiles(stateSeenAt.Where(t => t > 0).Select(t => t - stateStart))}");
if (spread)
{
    var spreadTimes = stateSeenAt.Select(t => t - stateStart).Order().ToArray();
    Result("state_p50_ms", spreadTimes[(int)Math.Ceiling(0.5 * spreadTimes.Length) - 1]);
    Result("state_p99_ms", spreadTimes[(int)Math.Ceiling(0.99 * spreadTimes.Length) - 1]);
}

// One crash.
Volatile.Write(ref victimKilled, true);
double killStart = Now();
await members[2].DisposeAsync();
deadSeenAt[2] = killStart;
bool detected = await WaitAsync(() => deadSeenAt.All(t => t > 0), TimeSpan.FromSeconds(120));
Console.WriteLine((detected ? "" : "(incomplete) ") + $"killed member seen dead by every member: {Percentiles(deadSeenAt.Where(t => t > 0).Select(t => t - killStart))}");
if (detected)
{
    Result("dead_ms", deadSeenAt.Max() - killStart);
    ResultPercentiles("dead", deadSeenAt.Where((_, i) => i != 2).Select(t => t - killStart));
}

Console.WriteLine($"  (first suspected {firstSuspectAt - killStart:F0} ms after the kill)");
Console.WriteLine($"false dead declarations: {falseDead.Count}");
foreach (var line in falseDead.Take(10)) Console.WriteLine("  " + line);
var totals = members.Where((_, i) => i != 2).Select(m => m.Counters).ToList();
Console.WriteLine($"decode failures {totals.Sum(c => c.DecodeFailures)}, auth failures {totals.Sum(c => c.AuthFailures)}, events dropped {totals.Sum(c => c.EventsDropped)}");
await Task.WhenAll(members.Where((_, i) => i != 2).Select(m => m.DisposeAsync().AsTask()));
return 0;
