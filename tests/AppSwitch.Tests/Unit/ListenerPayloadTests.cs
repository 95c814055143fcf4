using AppSwitch.Agent.Launcher;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The LISTENER payload of every launcher generation, and what a bad one is told.</summary>
public class ListenerPayloadTests
{
    private const uint None = uint.MaxValue;

    private static byte[] Payload(params uint[] fields)
    {
        var w = new PayloadWriter();
        foreach (var f in fields) w.UInt32(f);
        return w.ToArray();
    }

    [Fact]
    public void A_launcher_with_a_keeper_sends_its_pid_after_the_dns_sockets()
    {
        var p = ListenerPayload.Decode(Payload(1020, 2, 1019, 1018, 4242));
        Assert.Equal(new ListenerPayload(1020, 2, (1019, 1018), 4242, true), p);
    }

    [Fact]
    public void Without_dns_sockets_the_count_0_comes_before_the_keepers_pid()
    {
        var p = ListenerPayload.Decode(Payload(1020, 0, 4242));
        Assert.Equal(new ListenerPayload(1020, 0, (-1, -1), 4242, true), p);
    }

    [Fact]
    public void Keeper_pid_0_means_the_launcher_could_not_start_one()
    {
        var p = ListenerPayload.Decode(Payload(1020, 0, 0));
        Assert.Equal((0, true), (p.KeeperPid, p.HasKeeperField));
    }

    [Theory]
    [InlineData(new uint[0], -1, 0u)]
    [InlineData(new uint[] { 1020 }, 1020, 0u)]
    [InlineData(new uint[] { None }, -1, 0u)]
    [InlineData(new uint[] { 1020, 0 }, 1020, 0u)]
    [InlineData(new uint[] { 1020, 2, 1019, None }, 1020, 2u)]
    public void Payloads_of_launchers_before_the_keeper_decode_without_one(uint[] fields, int reclaimFd, uint dnsFds)
    {
        var p = ListenerPayload.Decode(Payload(fields));
        Assert.Equal((reclaimFd, dnsFds, 0, false), (p.ReclaimFd, p.DnsFds, p.KeeperPid, p.HasKeeperField));
    }

    [Fact]
    public void A_keeper_pid_no_process_can_have_is_refused()
    {
        var e = Assert.Throws<LauncherProtocolException>(() => ListenerPayload.Decode(Payload(1020, 0, 0x8000_0000)));
        Assert.Equal("the LISTENER frame names keeper pid 2147483648, which no process can have", e.Message);
    }

    [Theory]
    [InlineData(new uint[] { 1020, 0, 4242, 7 })]
    [InlineData(new uint[] { 1020, 2, 1019, 1018, 4242, 7 })]
    public void Bytes_after_the_keeper_pid_are_refused(uint[] fields)
    {
        var e = Assert.Throws<LauncherProtocolException>(() => ListenerPayload.Decode(Payload(fields)));
        Assert.Equal("4 unexpected bytes at the end of the frame", e.Message);
    }

    [Fact]
    public void A_truncated_keeper_pid_is_refused()
    {
        var bytes = Payload(1020, 0, 4242)[..10];
        var e = Assert.Throws<LauncherProtocolException>(() => ListenerPayload.Decode(bytes));
        Assert.Equal("truncated frame payload", e.Message);
    }
}
