using AppSwitch.Agent.Admission;
using Xunit;

namespace AppSwitch.Tests.Unit.Admission;

public class WaitingRoomTests
{
    [Fact]
    public void A_peer_past_its_bound_pushes_out_its_own_oldest_and_nobody_elses()
    {
        var room = new WaitingRoom<uint, string>(perPeer: 2, total: 10);
        room.Enter(1000, "other", out _);
        room.Enter(0, "first", out var none1);
        room.Enter(0, "second", out var none2);
        room.Enter(0, "third", out var pushed);

        Assert.Null(none1);
        Assert.Null(none2);
        Assert.Equal("first", pushed);
        Assert.Equal(3, room.Count); // other, second, third
        room.Enter(0, "fourth", out pushed);
        Assert.Equal("second", pushed);
    }

    [Fact]
    public void A_full_room_pushes_out_the_oldest_of_anyone()
    {
        var room = new WaitingRoom<uint, string>(perPeer: 5, total: 3);
        room.Enter(1, "a", out _);
        room.Enter(2, "b", out _);
        room.Enter(3, "c", out _);
        room.Enter(4, "d", out var pushed);

        Assert.Equal("a", pushed);
        Assert.Equal(3, room.Count);
    }

    [Fact]
    public void A_seat_left_is_free_again_and_a_pushed_out_seat_cannot_be_left()
    {
        var room = new WaitingRoom<uint, string>(perPeer: 1, total: 10);
        var first = room.Enter(0, "first", out _);
        Assert.True(room.Leave(first));
        Assert.False(room.Leave(first));

        var second = room.Enter(0, "second", out var none);
        Assert.Null(none);
        room.Enter(0, "third", out var pushed);
        Assert.Equal("second", pushed);
        Assert.False(room.Leave(second)); // the endpoint reads this as "evicted"
        Assert.Equal(1, room.Count);
    }

    [Fact]
    public void A_flood_holds_at_most_the_bound_and_the_newest_newcomer_is_always_seated()
    {
        var room = new WaitingRoom<uint, string>(perPeer: 256, total: 1024);
        var pushedOut = 0;
        for (var i = 0; i < 1000; i++)
        {
            room.Enter(0, $"flood-{i}", out var pushed);
            if (pushed is not null) pushedOut++;
        }
        Assert.Equal(1000 - 256, pushedOut);
        var real = room.Enter(0, "ax run", out var pushedForIt);

        Assert.Equal("flood-744", pushedForIt);
        Assert.Equal(256, room.Count);
        Assert.True(room.Leave(real));
    }
}
