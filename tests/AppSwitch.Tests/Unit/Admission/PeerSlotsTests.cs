using AppSwitch.Agent.Admission;
using Xunit;

namespace AppSwitch.Tests.Unit.Admission;

public class PeerSlotsTests
{
    [Fact]
    public void A_peer_is_refused_past_its_bound_while_others_still_get_in()
    {
        var slots = new PeerSlots<string>(perPeer: 2, total: 10);
        Assert.Null(slots.TryTake("10.0.0.1"));
        Assert.Null(slots.TryTake("10.0.0.1"));
        Assert.Equal(AdmissionRefusal.PeerLimit, slots.TryTake("10.0.0.1"));
        Assert.Null(slots.TryTake("10.0.0.2"));

        slots.Release("10.0.0.1");
        Assert.Null(slots.TryTake("10.0.0.1"));
    }

    [Fact]
    public void Everyone_together_is_refused_past_the_total()
    {
        var slots = new PeerSlots<string>(perPeer: 5, total: 2);
        Assert.Null(slots.TryTake("a"));
        Assert.Null(slots.TryTake("b"));
        Assert.Equal(AdmissionRefusal.TotalLimit, slots.TryTake("c"));
        slots.Release("a");
        Assert.Null(slots.TryTake("c"));
    }

    [Fact]
    public void Releasing_more_than_was_taken_gives_nobody_extra_room()
    {
        var slots = new PeerSlots<string>(perPeer: 1, total: 1);
        slots.Release("a");
        Assert.Null(slots.TryTake("a"));
        Assert.Equal(AdmissionRefusal.PeerLimit, slots.TryTake("a"));
        Assert.Equal(AdmissionRefusal.TotalLimit, slots.TryTake("b"));
        Assert.Equal(0, slots.HeldBy("b"));
    }
}
