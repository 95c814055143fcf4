using AppSwitch.Agent.Admission;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit.Admission;

public class AdmissionRefusalsTests
{
    [Fact]
    public void A_flood_from_many_processes_of_one_uid_is_one_log_line_naming_a_process()
    {
        var log = new RecordingLogger<AdmissionRefusalsTests>();
        var refusals = new AdmissionRefusals("launcher", null, log);

        for (var pid = 1000; pid < 3000; pid++)
            refusals.Record(AdmissionRefusal.Timeout, "uid 1000", "no complete RUN frame within 2 s", $"pid {pid}");

        var line = Assert.Single(log.Lines);
        Assert.Equal("Warning: launcher: closed a connection of uid 1000 (pid 1000): no complete RUN frame within 2 s (1 since the last such line)", line);
        Assert.Equal(1, refusals.UnloggedPeers);
    }

    [Fact]
    public void Refusals_from_ever_new_peers_keep_a_bounded_count_of_unlogged_ones()
    {
        var refusals = new AdmissionRefusals("api", null, new RecordingLogger<AdmissionRefusalsTests>());

        // Each address is refused twice within the window (the second is counted, not logged) and never again: before
        // the bound these counts stayed forever, one per address a flood had used.
        for (var i = 0; i < 20_000; i++)
        {
            var peer = $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}";
            refusals.Record(AdmissionRefusal.PeerLimit, peer, "it already has 256 connections open");
            refusals.Record(AdmissionRefusal.PeerLimit, peer, "it already has 256 connections open");
        }

        Assert.InRange(refusals.UnloggedPeers, 1, 4096);
    }
}
