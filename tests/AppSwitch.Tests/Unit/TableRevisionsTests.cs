using System.Net;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>Each consumer of table revisions gets the newest one waiting, never a queue; local and replica changes alike.</summary>
public sealed class TableRevisionsTests
{
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));

    [Fact]
    public void A_consumer_that_did_not_read_finds_only_the_newest_revision()
    {
        var slow = _table.Revisions.Subscribe();
        var other = _table.Revisions.Subscribe();
        for (var i = 0; i < 50; i++) _table.AddApp(new AppEntry { Id = $"a{i}" });
        _table.ReplaceRemote(new RemoteNodeRef("node-b", IPAddress.Parse("10.77.0.12")), [new AppEntry { Id = "b1" }], []);

        Assert.Equal(51, _table.Revisions.Current);
        foreach (var reader in new[] { slow, other })
        {
            Assert.True(reader.TryRead(out var revision));
            Assert.Equal(51, revision);
            Assert.False(reader.TryRead(out _));
        }
    }

    [Fact]
    public async Task An_unsubscribed_consumer_ends_and_the_others_go_on()
    {
        var leaving = _table.Revisions.Subscribe();
        var staying = _table.Revisions.Subscribe();
        _table.Revisions.Unsubscribe(leaving);
        _table.AddApp(new AppEntry { Id = "a1" });
        Assert.True(staying.TryRead(out _));
        Assert.False(await leaving.WaitToReadAsync());
    }
}
