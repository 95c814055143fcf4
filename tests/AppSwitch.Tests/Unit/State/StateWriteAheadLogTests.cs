using System.Net;
using System.Text.Json;
using AppSwitch.Agent.Hosting;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;
using AppSwitch.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Unit.State;

/// <summary>
/// state.wal on real files: what a table change writes ahead is what a restarted agent replays over state.json,
/// across a rotation the state writer did not finish (killed between rotating and dropping the rotated log).
/// </summary>
public sealed class StateWriteAheadLogTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));
    private readonly StateWriteAheadLog _log;

    public StateWriteAheadLogTests()
    {
        _log = new StateWriteAheadLog(_dir.Path, NullLogger.Instance);
        _table.Revisions.WriteAhead = _log;
    }

    [Fact]
    public void Replay_gives_the_apps_and_sockets_as_they_were_last_answered()
    {
        var app = App("a1");
        _table.AddApp(app);
        var kept = Socket(app, 7001, 80);
        var closed = Socket(app, 7002, 81);
        _table.AddSocket(kept);
        _table.AddSocket(closed);
        kept.State = SocketState.Listening; // as ListenHandler does, then publishes the server
        _table.AddServer(BindHandlerServer(kept));
        _table.RemoveSocket(closed.Inode);

        var state = Replayed();
        Assert.Equal("a1", Assert.Single(state.Apps).Id);
        var socket = Assert.Single(state.Sockets);
        Assert.Equal((7001UL, "Listening", "198.18.0.1:80"), (socket.Inode, socket.State, socket.Service));
    }

    [Fact]
    public void A_rotation_whose_snapshot_never_landed_loses_nothing_and_a_dropped_one_is_gone()
    {
        var first = App("a1");
        _table.AddApp(first);
        _log.Rotate(); // the writer's snapshot would start here; killed before it lands
        _table.AddApp(App("a2"));
        Assert.Equal(["a1", "a2"], Replayed().Apps.Select(a => a.Id).Order());

        _log.Rotate(); // a second writer run appends to the rotated log that is still there
        _table.RemoveApp("a1");
        Assert.Equal(["a2"], Replayed().Apps.Select(a => a.Id));

        _log.DropRotated(); // the snapshot landed: only changes after it are left to replay
        Assert.Empty(Replayed().Apps);
    }

    [Fact]
    public void A_torn_last_line_is_skipped_and_the_lines_before_it_count()
    {
        _table.AddApp(App("a1"));
        File.AppendAllText(_log.Path, "{\"op\":\"app\",\"savedApp\":{\"id\":\"a2\"");
        var state = Replayed();
        Assert.Equal("a1", Assert.Single(state.Apps).Id);
    }

    [Fact]
    public void Vservices_are_replayed_as_created_and_deleted()
    {
        Assert.True(_table.AddVService(VService("web", 1), out _));
        Assert.True(_table.AddVService(VService("db", 2), out _));
        _table.RemoveVService("web", out _);
        var saved = Assert.Single(Replayed().VServices!);
        Assert.Equal(("db", "198.18.9.2"), (saved.Name, saved.Ip));
    }

    [Fact]
    public void Each_vservice_change_writes_that_vservice_alone()
    {
        // The whole list per change made restoring 10 000 vservices write ~12 GB (bench-scale): O(N²).
        for (var i = 1; i <= 50; i++) Assert.True(_table.AddVService(VService($"v{i}", i), out _));
        var lines = File.ReadAllLines(_log.Path);
        Assert.Equal(50, lines.Length);
        Assert.All(lines, line => Assert.Equal(1, line.Split("\"name\"").Length - 1));
        Assert.Equal(50, Replayed().VServices!.Count);
    }

    [Fact]
    public void A_whole_vservice_list_written_by_an_older_agent_still_replays()
    {
        File.WriteAllText(_log.Path, "{\"op\":\"vservices\",\"savedVServices\":[{\"name\":\"old\",\"ip\":\"198.18.9.1\"," +
                                     "\"backends\":[\"198.18.8.1\"],\"ports\":[{\"vport\":80,\"aport\":80}]}]}\n");
        Assert.True(_table.AddVService(VService("new", 2), out _));
        Assert.Equal(["new", "old"], Replayed().VServices!.Select(v => v.Name).Order());
    }

    [Fact]
    public void Each_rule_change_writes_that_rule_alone()
    {
        // All of this node's rules per change made creating R rules one by one write O(R²) bytes.
        var book = AgentHost.RuleBookFor("node-a", _table);
        for (var i = 1; i <= 30; i++) Assert.Equal(RuleStoreOutcome.Done, book.Create([Route($"r{i}")], out _, out _));
        Assert.Equal(RuleStoreOutcome.Done, book.Update([Route("r7", priority: 5)], out _));
        Assert.Equal(RuleStoreOutcome.Done, book.Delete(["r3"], out _));

        var records = File.ReadAllLines(_log.Path).Select(line => JsonSerializer.Deserialize(line, SavedChangeJsonContext.Default.SavedChange)!).ToList();
        Assert.Equal(32, records.Count);
        Assert.All(records.Take(31), r => Assert.Single(r.SavedRules!));
        Assert.Equal(["r1", "r7"], records.Where((_, i) => i is 0 or 30).Select(r => r.SavedRules![0].Id));
        Assert.Equal(["r3"], records[31].RuleIds!);
    }

    [Fact]
    public void Rules_are_replayed_as_created_replaced_and_deleted_in_the_books_order()
    {
        var book = AgentHost.RuleBookFor("node-a", _table);
        book.Create([Route("a"), Route("b")], out _, out _);
        book.Create([Route("c")], out _, out _);
        book.Update([Route("b", priority: 9)], out _); // in place, as the book keeps it
        book.Delete(["a"], out _);
        book.Create([Route("a")], out _, out _); // back, at the end

        var replayed = Replayed().Rules!;
        Assert.Equal(JsonSerializer.Serialize(book.Own()), JsonSerializer.Serialize(replayed)); // records hold lists: compare as JSON
        Assert.Equal([("b", 9), ("c", 0), ("a", 0)], replayed.Select(r => (r.Id, r.Priority)));
    }

    [Fact]
    public void A_whole_rule_list_written_by_an_older_agent_still_replays()
    {
        File.WriteAllText(_log.Path, "{\"op\":\"rules\",\"savedRules\":[{\"id\":\"old\",\"destination\":\"web\"," +
                                     "\"route\":{\"backends\":[{\"tags\":[\"v1\"]}]}}]}\n");
        AgentHost.RuleBookFor("node-a", _table).Create([Route("new")], out _, out _);
        Assert.Equal(["old", "new"], Replayed().Rules!.Select(r => r.Id));
    }

    [Fact]
    public void Replay_keeps_the_lists_order_and_an_inode_another_app_took_over()
    {
        var saved = new SavedState
        {
            Apps = [new SavedApp { Id = "a1" }, new SavedApp { Id = "a2" }, new SavedApp { Id = "a3" }],
            Sockets = [SavedSocketOf("a1", 1), SavedSocketOf("a1", 2), SavedSocketOf("a2", 3)],
        };
        var a1 = App("a1");
        _table.AddApp(a1); // changed in place: moves to the end, as RemoveAll + Add did
        _table.AddSocket(Socket(App("a2"), 2, 82)); // inode 2 closed by a1 and reused by a2 (no socket-removed seen)
        _table.RemoveApp("a1");
        _log.ReplayOnto(saved);

        Assert.Equal(["a2", "a3"], saved.Apps.Select(a => a.Id));
        Assert.Equal([(3UL, "a2"), (2UL, "a2")], saved.Sockets.Select(s => (s.Inode, s.AppId)));
    }

    [Fact]
    public void Replica_changes_are_not_written_ahead()
    {
        _table.ReplaceRemote(new RemoteNodeRef("node-b", IPAddress.Parse("10.77.0.12")), [App("b1")], []);
        Assert.False(File.Exists(_log.Path) && new FileInfo(_log.Path).Length > 0);
    }

    private SavedState Replayed()
    {
        var state = new SavedState();
        _log.ReplayOnto(state);
        return state;
    }

    private static Rule Route(string id, int priority = 0) => new()
    {
        Id = id, Destination = "web", Priority = priority, Route = new RuleRoute { Backends = [new RuleBackend { Tags = ["v1"] }] },
    };

    private static SavedSocket SavedSocketOf(string appId, ulong inode) => new()
    {
        AppId = appId, Inode = inode, Transport = "Tcp", VirtualLocal = "0.0.0.0:80", Service = "198.18.0.1:80", NodeLocal = "10.77.0.11:40080",
        State = "Bound",
    };

    private static AppEntry App(string id) => new() { Id = id, Name = id, VirtualIp = IPAddress.Parse("198.18.0.1"), Pid = 4242 };

    private static SocketEntry Socket(AppEntry app, ulong inode, int port) => new()
    {
        App = app, Inode = inode, Transport = Transport.Tcp, Family = System.Net.Sockets.AddressFamily.InterNetwork,
        VirtualLocal = new IPEndPoint(IPAddress.Any, port), Service = new IPEndPoint(IPAddress.Parse("198.18.0.1"), port),
        NodeLocal = new IPEndPoint(IPAddress.Parse("10.77.0.11"), 40000 + port),
    };

    private static VServiceEntry VService(string name, int index) =>
        VServiceEntry.FromSpec(new AppSwitch.Common.Model.VServiceSpec
        {
            Name = name, Ip = $"198.18.9.{index}", Backends = [$"198.18.8.{index}"], Ports = [new(80, 8080)],
        }, owner: null, out _)!;

    private static ServerEntry BindHandlerServer(SocketEntry socket) =>
        AppSwitch.Agent.Interception.BindHandler.ServerFor(socket);

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }
}
